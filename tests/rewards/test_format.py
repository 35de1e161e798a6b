from __future__ import annotations

import pytest

from reward_service.rewards.format import follows_format

CASES = [
    # (completion, think, r1)
    ("<think>2+2</think>#### 4", True, False),
    ("<think>2+2</think><answer>4</answer>", True, True),
    ("  <think>\nsteps\n</think>\n\n<answer> 4 </answer>\n", True, True),
    ("<think></think><answer></answer>", True, True),
    ("#### 4", False, False),
    ("</think> then <think>", False, False),  # wrong order
    ("<think> never closed", False, False),
    ("preamble <think>a</think><answer>4</answer>", True, False),  # r1 is the whole text
    ("<think>a</think><answer>4</answer> trailing", True, False),
    ("<think>a</think><answer>4</answer><answer>5</answer>", True, False),
    ("<think>a<think>b</think><answer>4</answer>", True, False),
    ("<answer>4</answer><think>a</think>", True, False),
    ("<THINK>a</THINK>", False, False),  # tags are case sensitive, like the template
    ("", False, False),
]


@pytest.mark.parametrize(("completion", "think", "r1"), CASES)
def test_format_styles(completion: str, think: bool, r1: bool) -> None:
    assert follows_format(completion, "think") is think
    assert follows_format(completion, "r1") is r1


def test_r1_is_linear_on_huge_input() -> None:
    text = "<think>" + "x" * 2_000_000 + "</think><answer>1</answer>"
    assert follows_format(text, "r1")
