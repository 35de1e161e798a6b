"""Arithmetic word problems written like GSM8K rows, generated from templates: a task a 135M
model can get better at on a CPU (GSM8K itself is out of its reach: about 2%).

Rows have GSM8K's shape: `question`, and `answer` holding a worked solution that ends in
`#### n`, so the service's `/math` grades them exactly as it grades GSM8K. Two levels: `one-step`
(one operation: +, -, x or an exact division) and `two-step` (two operations chained).

Splits: `test` is fixed (the same rows whatever the training seed) and `train` is drawn with the
seed; a question lands in `test` or `train` by a hash of its text, so no test question is ever a
training question.

    >>> row = generate("train", 1, level="one-step", seed=0)[0]
    >>> row["answer"].rsplit("####", 1)[1].strip().isdigit()
    True
    >>> q = {r["question"] for r in generate("test", 300, level="two-step")}
    >>> q.isdisjoint(r["question"] for r in generate("train", 300, level="two-step", seed=3))
    True
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from typing import Any, Literal

Level = Literal["one-step", "two-step"]
LEVELS: tuple[Level, ...] = ("one-step", "two-step")
TEST_SHARE = 5  # one question in five (by hash) belongs to the test split
TEST_SEED = "held-out"
MAX_ROWS = 50_000  # per split and level: far fewer than there are distinct questions

NAMES = (
    "Ava",
    "Ben",
    "Chloe",
    "Diego",
    "Emma",
    "Farid",
    "Grace",
    "Hana",
    "Ivan",
    "Jade",
    "Kofi",
    "Lena",
    "Mateo",
    "Nora",
    "Omar",
    "Priya",
    "Quinn",
    "Rosa",
    "Sam",
    "Tariq",
)
ITEMS = (
    "apples",
    "marbles",
    "stickers",
    "pencils",
    "cookies",
    "books",
    "shells",
    "cards",
    "stamps",
    "balloons",
    "eggs",
    "oranges",
)

Problem = tuple[str, str, int]  # question, worked solution (without the #### line), answer
Template = Callable[[random.Random], Problem]


def _who(rng: random.Random) -> tuple[str, str, str]:
    name, friend = rng.sample(NAMES, 2)
    return name, friend, rng.choice(ITEMS)


def _add(rng: random.Random) -> Problem:
    name, _, item = _who(rng)
    a, b = rng.randint(2, 60), rng.randint(2, 40)
    q = f"{name} has {a} {item}. Then {name} gets {b} more. How many {item} does {name} have now?"
    return q, f"{name} has {a} + {b} = <<{a}+{b}={a + b}>>{a + b} {item}.", a + b


def _subtract(rng: random.Random) -> Problem:
    name, friend, item = _who(rng)
    b = rng.randint(2, 30)
    a = b + rng.randint(1, 50)
    q = f"{name} had {a} {item} and gave {b} of them to {friend}. How many {item} are left?"
    return q, f"{name} has {a} - {b} = <<{a}-{b}={a - b}>>{a - b} {item} left.", a - b


def _multiply(rng: random.Random) -> Problem:
    name, _, item = _who(rng)
    a, b = rng.randint(2, 12), rng.randint(2, 12)
    q = f"{name} buys {a} bags of {item}. Each bag holds {b} {item}. How many {item} is that?"
    return q, f"That is {a} * {b} = <<{a}*{b}={a * b}>>{a * b} {item}.", a * b


def _divide(rng: random.Random) -> Problem:
    name, _, item = _who(rng)
    each, people = rng.randint(2, 12), rng.randint(2, 9)
    total = each * people
    q = (
        f"{name} shares {total} {item} equally among {people} friends. "
        f"How many {item} does each friend get?"
    )
    return q, f"Each friend gets {total} / {people} = <<{total}/{people}={each}>>{each}.", each


def _buy_then_give(rng: random.Random) -> Problem:
    name, friend, item = _who(rng)
    a, b = rng.randint(5, 50), rng.randint(2, 30)
    c = rng.randint(1, a + b - 1)
    q = (
        f"{name} has {a} {item}, buys {b} more, and then gives {c} to {friend}. "
        f"How many {item} does {name} have now?"
    )
    steps = f"After buying, {a} + {b} = <<{a}+{b}={a + b}>>{a + b}.\n"
    steps += f"After giving, {a + b} - {c} = <<{a + b}-{c}={a + b - c}>>{a + b - c}."
    return q, steps, a + b - c


def _packs_then_eat(rng: random.Random) -> Problem:
    name, _, item = _who(rng)
    a, b = rng.randint(2, 9), rng.randint(3, 12)
    c = rng.randint(1, a * b - 1)
    q = (
        f"{name} buys {a} packs of {item} with {b} in each pack, then uses {c} of them. "
        f"How many {item} are left?"
    )
    steps = f"{name} buys {a} * {b} = <<{a}*{b}={a * b}>>{a * b}.\n"
    steps += f"Left: {a * b} - {c} = <<{a * b}-{c}={a * b - c}>>{a * b - c}."
    return q, steps, a * b - c


def _wage(rng: random.Random) -> Problem:
    name, _, _ = _who(rng)
    rate, monday, tuesday = rng.randint(5, 20), rng.randint(1, 8), rng.randint(1, 8)
    hours = monday + tuesday
    q = (
        f"{name} earns ${rate} an hour. {name} works {monday} hours on Monday and {tuesday} "
        f"hours on Tuesday. How many dollars does {name} earn?"
    )
    steps = f"Hours: {monday} + {tuesday} = <<{monday}+{tuesday}={hours}>>{hours}.\n"
    steps += f"Pay: {hours} * {rate} = <<{hours}*{rate}={hours * rate}>>{hours * rate}."
    return q, steps, hours * rate


TEMPLATES: dict[Level, tuple[Template, ...]] = {
    "one-step": (_add, _subtract, _multiply, _divide),
    "two-step": (_buy_then_give, _packs_then_eat, _wage),
}


def in_test_split(question: str) -> bool:
    return int(hashlib.sha256(question.encode()).hexdigest(), 16) % TEST_SHARE == 0


def generate(
    split: str, n: int, *, level: Level = "one-step", seed: int = 0
) -> list[dict[str, Any]]:
    """`n` distinct GSM8K-shaped rows of `level` for `split` (`test` ignores `seed`)."""
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}: use one of {', '.join(LEVELS)}")
    if not 0 < n <= MAX_ROWS:
        raise ValueError(f"{n} {level} {split} problems asked for: ask for 1 to {MAX_ROWS}")
    test = split == "test"
    rng = random.Random(f"{level}:{TEST_SEED if test else seed}")
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for _ in range(50 * n + 1000):  # one draw in five lands in a split, few repeat
        if len(rows) == n:
            break
        question, steps, answer = rng.choice(TEMPLATES[level])(rng)
        if question in seen or in_test_split(question) != test:
            continue
        seen.add(question)
        rows.append({"question": question, "answer": f"{steps}\n#### {answer}", "level": level})
    if len(rows) < n:
        raise ValueError(f"only {len(rows)} distinct {level} {split} problems found")
    return rows
