"""EvalPlus's HumanEval+ and MBPP+ through /code (the calls form, EvalPlus's own rules), verdict
by verdict against a plain run of the same programs in the same Python (tests/rewards/
plain_calls.py): the canonical solutions, and wrong solutions made from them.

CI runs every `REWARD_EVALPLUS_STEP`-th problem (default 6; `1`: all 542 problems, about
165,000 tests and twice as many for the wrong solutions). Needs Docker, the shared data
(../shared/data/evalplus) and `evalplus` (its data loaders and ground truth).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from typing import Any

import pytest

from reward_service.testing import running_service
from tests.docker_support import IMAGE, require_docker
from tests.rewards.evalplus_support import (
    DATA,
    code_verdicts,
    mutants,
    plain_verdicts,
    use_local_data,
)

pytestmark = [pytest.mark.docker, pytest.mark.slow]

STEP = int(os.environ.get("REWARD_EVALPLUS_STEP", "6"))
MUTANTS = 2


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    require_docker()
    env = {"REWARD_SANDBOX_BACKEND": "docker", "REWARD_SANDBOX_LANGUAGES": "python"}
    with running_service(180, REWARD_SANDBOX_IMAGE=IMAGE, **env) as base:
        yield base


@functools.cache
def problems(dataset: str) -> list[Any]:
    if not DATA.is_dir():
        pytest.skip(f"EvalPlus data not found at {DATA} (the ../shared folder is optional)")
    pytest.importorskip("evalplus", reason="pip install evalplus (see .ci/run)")
    use_local_data()
    from trainer.evalplus import load

    return list(load(dataset))[::STEP]  # type: ignore[arg-type]


def run(problem: Any, program: str) -> dict[str, Any]:
    fields = {"entry_point": problem.entry_point, "call_check": problem.call_check}
    return {"program": program, "calls": problem.calls, **fields}


def disagreements(runs: list[dict[str, Any]], url: str, names: list[str]) -> tuple[list, int, int]:
    """(where /code and the plain run disagree on a pass, tests compared, timeouts left out);
    prints the tests that did not pass on both sides, by problem."""
    items = [{k: v for k, v in r.items() if k != "program"} for r in runs]
    for item, r in zip(items, runs, strict=True):
        item["completion"] = f"```python\n{r['program']}\n```"
    ours = code_verdicts(url, items)
    theirs = plain_verdicts(runs)
    wrong, compared, timed_out = [], 0, 0
    failing: dict[str, int] = {}
    for name, mine, plain in zip(names, ours, theirs, strict=True):
        assert len(mine) == len(plain), name
        for number, (a, b) in enumerate(zip(mine, plain, strict=True)):
            if {a, b} & {"timeout", "skipped"}:  # a time limit is the machine's, not a verdict
                timed_out += 1
                continue
            compared += 1
            if (a == "passed") != (b == "passed"):
                wrong.append((name, number, a, b))
            elif a != "passed":
                failing[name] = failing.get(name, 0) + 1
    if len(failing) < 20:
        print(f"\nnot passed on both sides: {failing}")
    if wrong:
        print(f"\ndisagreements (problem, test, /code, plain): {wrong[:10]}")
    return wrong, compared, timed_out


@pytest.mark.parametrize("dataset", ["humaneval", "mbpp"])
def test_canonical_solutions_get_the_verdicts_of_a_plain_run(dataset: str, url: str) -> None:
    chosen = problems(dataset)
    runs = [run(p, p.prompt + p.canonical_solution) for p in chosen]
    wrong, compared, timed_out = disagreements(runs, url, [p.task_id for p in chosen])
    print(f"\n{dataset} canonical: {len(chosen)} problems, {compared} tests compared, "
          f"{timed_out} timed out, {len(wrong)} disagreements")  # fmt: skip
    assert not wrong, wrong[:10]
    assert compared >= sum(len(p.calls) for p in chosen) * 0.99


@pytest.mark.parametrize("dataset", ["humaneval", "mbpp"])
def test_wrong_solutions_get_the_verdicts_of_a_plain_run(dataset: str, url: str) -> None:
    runs, names = [], []
    for problem in problems(dataset):
        canonical = problem.prompt + problem.canonical_solution
        for program in mutants(canonical, MUTANTS, problem.task_id):
            runs.append(run(problem, program))
            names.append(problem.task_id)
    wrong, compared, timed_out = disagreements(runs, url, names)
    print(f"\n{dataset} wrong solutions: {len(runs)} programs, {compared} tests compared, "
          f"{timed_out} timed out, {len(wrong)} disagreements")  # fmt: skip
    assert not wrong, wrong[:10]
    assert compared > 1000 and timed_out < compared / 10
