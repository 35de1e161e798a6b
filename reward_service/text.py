"""Text that is always safe to put in a JSON response.

Completions and program output can hold lone surrogates (`"\\ud800"`), which JSON encoders
refuse; one such string would fail a whole batch's response. `SafeStr` fields replace them with
backslash escapes when serialised, so echoing text back can never break a response.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import PlainSerializer


def json_safe(text: str) -> str:
    """`text` with lone surrogates (and anything else UTF-8 cannot carry) backslash-escaped."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


SafeStr = Annotated[str, PlainSerializer(json_safe, return_type=str)]
