"""Table-driven extraction and grading for the gsm8k and flexible modes."""

from __future__ import annotations

import time
from fractions import Fraction

import pytest

from reward_service.rewards.math import (
    MathRewardTable,
    extract_flexible,
    extract_gsm8k,
    format_number,
    grade_math,
    parse_gold,
)

# (completion, expected number or None) - what `####` extraction must read.
GSM8K_CASES = [
    ("#### 1,234", Fraction(1234)),
    ("#### $18", Fraction(18)),
    ("#### 18.", Fraction(18)),
    ("#### 18.00", Fraction(18)),
    ("#### -3", Fraction(-3)),
    ("#### 0.5", Fraction(1, 2)),
    ("#### 0", Fraction(0)),
    ("#### $-3", Fraction(-3)),
    ("#### -$3", Fraction(-3)),
    ("####18", Fraction(18)),
    ("#### 1,234,567.5", Fraction(2469135, 2)),
    ("#### 3/4", Fraction(3, 4)),
    ("#### 18 dollars", Fraction(18)),
    ("#### \\frac{1}{4}", Fraction(1, 4)),
    ("first #### 5 then #### 7", Fraction(7)),  # the last marker wins
    ("#### 5\nlater text 9", Fraction(5)),
    ("####\n42", Fraction(42)),  # number on the next line
    ("The answer is 18", None),  # no marker
    ("\\boxed{18}", None),
    ("#### ", None),
    ("#### eighteen", None),
    ("", None),
]


@pytest.mark.parametrize(("completion", "expected"), GSM8K_CASES)
def test_gsm8k_extraction(completion: str, expected: Fraction | None) -> None:
    assert extract_gsm8k(completion) == expected


# Flexible: every gsm8k case plus the other answer styles.
FLEXIBLE_CASES = [
    *[(c, e) for c, e in GSM8K_CASES if e is not None],
    ("so \\boxed{42}", Fraction(42)),
    ("\\boxed{\\frac{1}{2}}", Fraction(1, 2)),
    ("\\boxed{\\dfrac{3}{4}}", Fraction(3, 4)),
    ("\\boxed{1,234}", Fraction(1234)),
    ("first \\boxed{1} then \\boxed{2}", Fraction(2)),
    ("\\boxed{{5}}", Fraction(5)),
    ("The answer is 42.", Fraction(42)),
    ("the answer is: $7.50", Fraction(15, 2)),
    ("Therefore the answer is -12 apples", Fraction(-12)),
    ("Answer: 7", Fraction(7)),
    ("**Answer:** 8", Fraction(8)),
    ("work\nA: 9", Fraction(9)),
    ("we get 3 then 5 apples", Fraction(5)),  # last number
    ("costs $1,000 in total", Fraction(1000)),
    ("#### 4 and \\boxed{5}", Fraction(4)),  # #### first
    ("no numbers here", None),
    ("", None),
]


@pytest.mark.parametrize(("completion", "expected"), FLEXIBLE_CASES)
def test_flexible_extraction(completion: str, expected: Fraction | None) -> None:
    assert extract_flexible(completion) == expected


GOLD_CASES = [
    ("#### 1,234", Fraction(1234)),
    ("Janet makes 9 * 2 = $18.\n#### 18", Fraction(18)),
    ("18", Fraction(18)),
    (" 0.5 ", Fraction(1, 2)),
    ("-3", Fraction(-3)),
    ("$18", Fraction(18)),
    ("3/4", Fraction(3, 4)),
]


@pytest.mark.parametrize(("gold", "expected"), GOLD_CASES)
def test_gold_parsing(gold: str, expected: Fraction) -> None:
    assert parse_gold(gold) == expected


def test_gold_without_number_raises_readable_error() -> None:
    with pytest.raises(ValueError, match="has no number"):
        parse_gold("#### n/a")


@pytest.mark.parametrize(
    ("completion", "answer", "mode", "status", "extracted"),
    [
        ("#### 18", "#### 18", "gsm8k", "correct", "18"),
        ("#### 18.00", 18, "gsm8k", "correct", "18"),
        ("#### 0.5", 0.5, "gsm8k", "correct", "0.5"),
        ("#### 1/2", "0.5", "gsm8k", "correct", "0.5"),
        ("#### 17", "18", "gsm8k", "wrong", "17"),
        ("the answer is 18", "18", "gsm8k", "missing", None),
        ("the answer is 18", "18", "flexible", "correct", "18"),
        ("\\boxed{18}", 18, "flexible", "correct", "18"),
        ("I give up", "18", "flexible", "missing", None),
        ("#### 1/3", "1/3", "flexible", "correct", "1/3"),
        ("#### 5", "#### no number", "gsm8k", "error", None),
        ("#### 5", True, "gsm8k", "error", None),
    ],
)
def test_grade_math(
    completion: str, answer: str | float, mode: str, status: str, extracted: str | None
) -> None:
    grade = grade_math(completion, answer, mode)  # type: ignore[arg-type]
    assert (grade.status, grade.extracted) == (status, extracted)
    if status == "error":
        assert grade.error


def test_reward_table_defaults_are_the_gsm8k_recipe() -> None:
    table = MathRewardTable()
    assert [table.reward(s) for s in ("correct", "wrong", "missing", "error")] == [
        1.0,
        -0.5,
        -1.0,
        None,
    ]


@pytest.mark.parametrize(
    ("value", "text"),
    [(Fraction(18), "18"), (Fraction(-1, 2), "-0.5"), (Fraction(1, 3), "1/3"), (Fraction(0), "0")],
)
def test_format_number(value: Fraction, text: str) -> None:
    assert format_number(value) == text


def test_non_ascii_and_nul_bytes_do_not_break_extraction() -> None:
    assert extract_gsm8k("答案 \x00 是 #### 18 元") == Fraction(18)
    assert extract_flexible("ответ\x00: 7") == Fraction(7)


DEGENERATE = {
    "spaces after the marker": "#### " + " " * 100_000 + "x",
    "blank lines": "\n" * 100_000,
    "mixed whitespace": " \n\t" * 33_000 + "$",
    "currency signs": "$ " * 50_000,
    "minus signs": "- " * 50_000,
    "answer words": "answer " * 14_000,
    "unclosed fractions": "\\frac{ " * 10_000,
    "separators": "1," * 50_000,
}


@pytest.mark.parametrize("text", DEGENERATE.values(), ids=DEGENERATE.keys())
def test_degenerate_completions_grade_in_linear_time(text: str) -> None:
    """Regression: a backtracking regex once took minutes on 2,000 spaces and froze the server.

    Linear scans of 100k characters take milliseconds; a quadratic one takes many seconds.
    """
    start = time.perf_counter()
    for mode in ("gsm8k", "flexible"):
        grade_math(text, "18", mode)  # type: ignore[arg-type]
    assert time.perf_counter() - start < 2.0


@pytest.mark.parametrize(
    ("answer", "gold"),
    [
        (1e-05, Fraction(1, 100_000)),
        (0.1, Fraction(1, 10)),
        (18, Fraction(18)),
        (2.5, Fraction(5, 2)),
    ],
)
def test_numeric_golds_keep_their_exact_decimal_value(answer: float, gold: Fraction) -> None:
    assert parse_gold(answer) == gold
    assert grade_math("#### 1", 1e-05, "gsm8k").status == "wrong"


def test_long_golds_are_parsed_without_filling_the_cache() -> None:
    gold = "x" * 10_000 + "\n#### 7"
    assert parse_gold(gold) == 7
