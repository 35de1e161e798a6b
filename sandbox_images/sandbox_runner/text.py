"""Text the runner sends back: valid UTF-8 always, details cut to a size the service shows.

>>> utf8_safe("a\\ud800b")
'a\\\\ud800b'
>>> len(short("x" * 1000))
400
>>> describe(ValueError("bad"))
'ValueError: bad'
"""

from __future__ import annotations

import codecs

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


def _input_error(exc: UnicodeError) -> tuple[bytes, int]:
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    out = bytearray()
    for char in exc.object[exc.start : exc.end]:
        code = ord(char)
        # surrogateescape's bytes, else the UTF-8-style bytes of a lone surrogate
        out += (
            bytes([code - 0xDC00])
            if 0xDC80 <= code <= 0xDCFF
            else char.encode("utf-8", "surrogatepass")
        )
    return bytes(out), exc.end


codecs.register_error("sandbox-input", _input_error)


def input_bytes(text: str) -> bytes:
    """A test's input as the program reads it: UTF-8, and binary by Python's `surrogateescape`
    convention (U+DC80..U+DCFF are the bytes 0x80..0xFF; `data.decode("utf-8",
    "surrogateescape")` gives such text for any bytes); another lone surrogate goes through as
    its UTF-8-style bytes, so no input can make the runner fail.

    >>> input_bytes(b"\\xff\\x00ok\\xe9".decode("utf-8", "surrogateescape"))
    b'\\xff\\x00ok\\xe9'
    >>> input_bytes("é\\ud800")
    b'\\xc3\\xa9\\xed\\xa0\\x80'
    """
    return text.encode("utf-8", "sandbox-input")
