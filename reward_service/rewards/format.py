"""Format rewards: does the completion follow the reasoning template? (pure)

>>> follows_format("<think>2+2</think>#### 4", "think"), follows_format("#### 4", "think")
(True, False)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

FormatStyle = Literal["think", "r1"]


@dataclass(frozen=True, slots=True)
class FormatRewardTable:
    ok: float = 0.2
    missing: float = 0.0


FORMAT_REWARDS = FormatRewardTable()  # the recipe's; the API and the trainer default to it

# Tag contents may not contain another template tag, so a second <answer> block cannot sneak in.
_NO_TAG = r"(?:(?!</?think>|</?answer>).)*"
_R1 = re.compile(rf"\s*<think>{_NO_TAG}</think>\s*<answer>{_NO_TAG}</answer>\s*", re.DOTALL)


def follows_format(completion: str, style: FormatStyle) -> bool:
    if style == "r1":
        return _R1.fullmatch(completion) is not None
    opened = completion.find("<think>")
    return opened >= 0 and completion.find("</think>", opened + len("<think>")) >= 0
