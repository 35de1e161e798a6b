"""Text the runner sends back: valid UTF-8 always, details cut to a size the service shows.

>>> utf8_safe("a\\ud800b")
'a\\\\ud800b'
>>> len(short("x" * 1000))
400
>>> describe(ValueError("bad"))
'ValueError: bad'
"""

from __future__ import annotations

DETAIL_CHARS = 400


def utf8_safe(text: str) -> str:
    """Valid UTF-8 only: lone surrogates (a program's `chr(0xD800)`) become `\\ud800`."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def short(text: str) -> str:
    text = utf8_safe(text)
    return text if len(text) <= DETAIL_CHARS else text[: DETAIL_CHARS - 3] + "..."


def describe(exc: BaseException) -> str:
    if isinstance(exc, SyntaxError):
        return short(f"SyntaxError: {exc.msg} (line {exc.lineno})")
    return short(f"{type(exc).__name__}: {exc}".rstrip(": "))


def scrub(value: object) -> object:
    """Every string valid UTF-8 (no lone surrogates), so the service can always re-encode it."""
    if isinstance(value, str):
        return utf8_safe(value)
    if isinstance(value, dict):
        return {scrub(k): scrub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v) for v in value]
    return value
