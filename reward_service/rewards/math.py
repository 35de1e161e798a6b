"""Math answer extraction and grading for the `gsm8k` and `flexible` modes (pure, no I/O).

Numbers are compared exactly as fractions, so `18`, `18.`, `18.00` and `$18` agree and
`0.1 + 0.2`-style float noise cannot flip a grade. The `latex` mode lives in `latex.py`: it needs
math-verify and a timeout, which this module deliberately avoids.

>>> grade_math("so she makes #### $1,234.00", "#### 1,234", "gsm8k")
MathGrade(status='correct', extracted='1234', error=None)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import Literal

MathStatus = Literal["correct", "wrong", "missing", "error"]
ExtractMode = Literal["gsm8k", "flexible", "latex"]

# A signed decimal with optional thousands separators and currency sign, e.g. "-$1,234.50", "18.",
# ".5". Separators are only accepted in groups of three so "1,2" in a list is not read as 12.
# Every optional part starts with a required character: with `\s*\$?\s*` a run of spaces could
# be split many ways, and backtracking over it took minutes on degenerate completions.
_NUMBER = re.compile(
    r"(?:(?P<sign>[-−+])\s*)?(?:\$\s*)?(?P<sign2>[-−])?"
    r"(?P<digits>\d{1,3}(?:,\d{3})+(?:\.\d*)?|\d+(?:\.\d*)?|\.\d+)"
    r"(?:[ \t]*/[ \t]*(?P<den>\d+)(?![\d.]))?"
)
_FRAC = re.compile(r"\\d?frac\{\s*(-?\d+)\s*\}\{\s*(\d+)\s*\}")
_ANSWER_IS = re.compile(r"answer\s+is\s*:?\s*", re.IGNORECASE)
# Line starts via MULTILINE `^` and `[ \t]*`: a leading `\n\s*` would rescan every run of blank
# lines once per newline in it.
_ANSWER_COLON = re.compile(r"^[ \t]*\**answer\**[ \t]*:[ \t]*", re.IGNORECASE | re.MULTILINE)
_A_COLON = re.compile(r"^[ \t]*A[ \t]*:[ \t]*", re.MULTILINE)
_MARKER = "####"


@dataclass(frozen=True, slots=True)
class MathGrade:
    """One item's grade. `extracted` is the normalised number the completion gave."""

    status: MathStatus
    extracted: str | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class MathRewardTable:
    """Reward per status; `error` has none (null): it is bad input, not a wrong answer."""

    correct: float = 1.0
    wrong: float = -0.5
    missing: float = -1.0

    def reward(self, status: MathStatus) -> float | None:
        if status == "error":
            return None
        return float(getattr(self, status))


MATH_REWARDS = MathRewardTable()  # the GSM8K GRPO recipe's; the API and the trainer default to it


def _to_fraction(match: re.Match[str]) -> Fraction:
    digits = match["digits"].replace(",", "")
    if digits.endswith("."):
        digits = digits[:-1]
    value = Fraction(digits)
    if match["den"]:
        den = int(match["den"])
        if den == 0:
            raise ZeroDivisionError("denominator is zero")
        value /= den
    negative = (match["sign"] in ("-", "−")) != (match["sign2"] is not None)
    return -value if negative else value


def first_number(text: str) -> Fraction | None:
    """The first number in `text`, or None."""
    match = _NUMBER.search(_FRAC.sub(r"\1/\2", text))
    if match is None:
        return None
    try:
        return _to_fraction(match)
    except (ValueError, ZeroDivisionError):
        return None


def last_number(text: str) -> Fraction | None:
    """The last number in `text`, or None."""
    last = None
    for last in _NUMBER.finditer(_FRAC.sub(r"\1/\2", text)):  # noqa: B007 - keep the last
        pass
    if last is None:
        return None
    try:
        return _to_fraction(last)
    except (ValueError, ZeroDivisionError):
        return None


def format_number(value: Fraction) -> str:
    """Canonical text of a number: `18`, `-0.5`, `1/3`."""
    if value.denominator == 1:
        return str(value.numerator)
    # Terminating decimals print as decimals; others as a fraction.
    den = value.denominator
    for p in (2, 5):
        while den % p == 0:
            den //= p
    if den == 1:
        text = f"{float(value):.12f}".rstrip("0").rstrip(".")
        if Fraction(text) == value:
            return text
    return f"{value.numerator}/{value.denominator}"


def extract_gsm8k(completion: str) -> Fraction | None:
    """The number after the last `####`, or None when there is no marker or no number."""
    _, sep, tail = completion.rpartition(_MARKER)
    if not sep:
        return None
    on_marker_line = first_number(tail.split("\n", 1)[0])
    return on_marker_line if on_marker_line is not None else first_number(tail)


def _boxed_contents(text: str) -> str | None:
    """Contents of the last `\\boxed{...}`, braces balanced; None when absent or unclosed."""
    start = text.rfind("\\boxed")
    if start < 0:
        return None
    brace = text.find("{", start)
    if brace < 0:
        return None
    depth = 0
    for i in range(brace, len(text)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return text[brace + 1 : i]
    return None


def _after_last(pattern: re.Pattern[str], text: str) -> str | None:
    last = None
    for last in pattern.finditer(text):  # noqa: B007 - keep the last
        pass
    return None if last is None else text[last.end() :].split("\n", 1)[0]


def extract_flexible(completion: str) -> Fraction | None:
    """`####`, then `\\boxed{}`, "the answer is", "Answer:", "A:", then the last number."""
    found = extract_gsm8k(completion)
    if found is not None:
        return found
    boxed = _boxed_contents(completion)
    if boxed is not None and (value := first_number(boxed)) is not None:
        return value
    for pattern in (_ANSWER_IS, _ANSWER_COLON, _A_COLON):
        tail = _after_last(pattern, completion)
        if tail is not None and (value := first_number(tail)) is not None:
            return value
    return last_number(completion)


def _parse_gold(answer: str) -> Fraction:
    value = extract_gsm8k(answer) if _MARKER in answer else first_number(answer.strip())
    if value is None:
        raise ValueError(f"gold answer {answer[:80]!r} has no number")
    return value


# A GRPO batch repeats each gold once per generation. Bounded: at most 16,384 golds of at most
# 4,096 characters (64 MiB in the worst case); longer golds are parsed every time.
_parse_gold_cached = lru_cache(maxsize=16384)(_parse_gold)
_CACHED_GOLD_CHARS = 4096


def parse_gold(answer: str | int | float) -> Fraction:
    """The gold number: a number, or a string holding one or a GSM8K solution (`#### 1,234`).

    Raises ValueError with a readable message when there is no number.
    """
    if isinstance(answer, bool):
        raise ValueError("gold answer must be a number or a string, not a boolean")
    if isinstance(answer, int):
        return Fraction(answer)
    if isinstance(answer, float):
        return Fraction(repr(answer))  # the decimal the client wrote: 0.1 is 1/10, 1e-05 is 1e-05
    if len(answer) <= _CACHED_GOLD_CHARS:
        return _parse_gold_cached(answer)
    return _parse_gold(answer)


def gold_text(answer: str | int | float) -> str:
    """JSON numbers arrive as int/float; hand them to text-based graders as their decimal text."""
    if isinstance(answer, bool):
        raise ValueError("gold answer must be a number or a string, not a boolean")
    return answer if isinstance(answer, str) else repr(answer)


def grade_math(completion: str, answer: str | int | float, mode: ExtractMode) -> MathGrade:
    """Grade one completion against its gold in `gsm8k` or `flexible` mode."""
    if mode == "latex":
        raise ValueError("latex mode is graded by reward_service.rewards.latex")
    try:
        gold = parse_gold(answer)
    except ValueError as exc:
        return MathGrade("error", error=str(exc))
    found = extract_gsm8k(completion) if mode == "gsm8k" else extract_flexible(completion)
    if found is None:
        return MathGrade("missing")
    status: MathStatus = "correct" if found == gold else "wrong"
    return MathGrade(status, extracted=format_number(found))
