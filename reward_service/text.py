"""Text that is always safe to put in a JSON response.

Completions and program output can hold lone surrogates (`"\\ud800"`), which JSON encoders
refuse; one such string would fail a whole batch's response. `SafeStr` fields replace them with
backslash escapes when serialised, so echoing text back can never break a response.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import PlainSerializer


def json_safe(text: str) -> str:
    """`text` with lone surrogates (and anything else UTF-8 cannot carry) backslash-escaped.

    >>> print(json_safe("ok " + chr(0xD800)))
    ok \ud800
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


SafeStr = Annotated[str, PlainSerializer(json_safe, return_type=str)]


def too_long(completion: str, max_chars: int | None) -> str | None:
    """Why a completion is refused (an item `error`, never the batch's), or None.

    >>> too_long("abc", 2)
    'completion has 3 characters, over the limit of 2 (REWARD_MAX_COMPLETION_CHARS)'
    """
    if max_chars is None or len(completion) <= max_chars:
        return None
    return (
        f"completion has {len(completion)} characters, over the limit of {max_chars} "
        "(REWARD_MAX_COMPLETION_CHARS)"
    )
