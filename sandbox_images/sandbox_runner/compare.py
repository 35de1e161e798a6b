"""Whether a program's stdout matches a stdin/stdout test's expected output, by the test's rule.

`lines` (the default): the same lines, trailing spaces and trailing empty lines ignored.
`tokens`: the same whitespace-separated tokens (line breaks and spacing do not matter).
`float`: the same tokens, except that two decimal numbers match when they differ by at most
`abs_tol`, or by at most `rel_tol` times the expected value. Only plain decimal numerals count
as numbers (`-1.5e3` does; `1_000`, `nan`, `inf`, `0x10` do not and must match as text), and
the token count must be equal, so extra output never passes.

>>> outputs_match("1 2\\n3\\n", "1 2   \\n3\\n\\n", None)
True
>>> outputs_match("1 2\\n3", "1\\n2 3", {"mode": "lines"})
False
>>> outputs_match("1 2\\n3", "1\\n2 3", {"mode": "tokens"})
True
>>> outputs_match("0.3333333", "0.33333331 ok", {"mode": "float", "abs_tol": 1e-6, "rel_tol": 0})
False
>>> outputs_match("0.3333333 ok", "0.33333331 ok", {"mode": "float", "abs_tol": 1e-6, "rel_tol": 0})
True
>>> outputs_match("1000000", "1000001", {"mode": "float", "abs_tol": 0, "rel_tol": 1e-5})
True
>>> outputs_match("nan", "1.0", {"mode": "float", "abs_tol": 1e9, "rel_tol": 1e9})
False
"""

from __future__ import annotations

import math
import re

DECIMAL = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def lines_of(text: str) -> list[str]:
    lines = [line.rstrip() for line in text.splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def outputs_match(expected: str, actual: str, rule: dict | None) -> bool:
    spec = rule or {}
    mode = spec.get("mode", "lines")
    if mode == "lines":
        return lines_of(actual) == lines_of(expected)
    want, got = expected.split(), actual.split()
    if len(want) != len(got):
        return False
    if mode == "tokens":
        return want == got
    abs_tol, rel_tol = float(spec.get("abs_tol", 0.0)), float(spec.get("rel_tol", 0.0))
    return all(_tokens_match(w, g, abs_tol, rel_tol) for w, g in zip(want, got, strict=True))


def _tokens_match(want: str, got: str, abs_tol: float, rel_tol: float) -> bool:
    if want == got:
        return True
    if not (DECIMAL.fullmatch(want) and DECIMAL.fullmatch(got)):
        return False
    w, g = float(want), float(got)
    if not (math.isfinite(w) and math.isfinite(g)):  # 1e999 parses as inf
        return False
    return abs(w - g) <= max(abs_tol, rel_tol * abs(w))
