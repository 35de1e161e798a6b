"""EvalPlus (HumanEval+, MBPP+) as /code items in the calls form, judged by EvalPlus's own rules.

The problems, their inputs (MBPP+'s deserialised as EvalPlus does it) and the expected outputs
(EvalPlus's ground truth: the canonical solution run on every input) come from the `evalplus`
package itself, so nothing here re-derives its data. This module turns each input into a `call`
of the entry point and writes the problem's comparison rule as its `call_check`, as
`evalplus.eval.unsafe_execute` applies it:

- the result equals the expected output, or, when the problem has an `atol` (or the expected
  output is a float or a list of floats: then 1e-6), it has the same type (and length) and is
  within `np.allclose(out, expected, rtol=1e-7, atol=atol)` of it;
- MBPP+'s special oracles: set equality for the tasks in `MBPP_OUTPUT_SET_EQ_TASKS`, "not None"
  (or the boolean itself) for `MBPP_OUTPUT_NOT_NONE_TASKS` (functions that return a `re.Match`:
  its truth crosses, the match does not), anything for Mbpp/164, 0 also for Mbpp/295, and
  EvalPlus's own oracle functions for Mbpp/558 and Mbpp/581, and for HumanEval/32 a root check
  (|poly(xs, out)| <= atol). The oracle functions' source is read from the installed evalplus.

An input whose arguments and expected output together exceed `MAX_CASE_BYTES` of JSON is left out
(HumanEval/130 and Mbpp/255 have outputs of millions of values, beyond any HTTP request); every
item says which it left out and why.

    pip install "evalplus==0.3.1" --no-deps  # plus wget tempdir appdirs multipledispatch ...
    HUMANEVAL_OVERRIDE_PATH=... python -m trainer.evalplus humaneval rows.jsonl

The override paths (`HUMANEVAL_OVERRIDE_PATH`, `MBPP_OVERRIDE_PATH`, EvalPlus's own) read local
files; without them evalplus downloads its release files.
"""

from __future__ import annotations

import inspect
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from reward_service import plain_data

Dataset = Literal["humaneval", "mbpp"]
MAX_CASE_BYTES = 1 << 20
RTOL = 1e-7  # np.allclose's, as EvalPlus uses it

# the judge runs this (trusted) code with the real values
CLOSE = """
import math


def _is_floats(x):
    if isinstance(x, float):
        return True
    return isinstance(x, (list, tuple)) and bool(x) and all(isinstance(i, float) for i in x)


def _allclose(out, expected, atol):
    if isinstance(expected, (list, tuple)):
        return (
            isinstance(out, (list, tuple))
            and len(out) == len(expected)
            and all(_allclose(a, b, atol) for a, b in zip(out, expected))
        )
    try:
        a, b = float(out), float(expected)
    except (TypeError, ValueError, OverflowError):
        return False
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= atol + RTOL * abs(b)


def _within_atol(out, expected, atol):
    if atol == 0 and _is_floats(expected):
        atol = 1e-6
    if atol == 0:
        return False
    if type(out) != type(expected):
        return False
    if isinstance(expected, (list, tuple)) and len(out) != len(expected):
        return False
    return _allclose(out, expected, atol)
"""


@dataclass
class EvalPlusItem:
    """One problem as /code fields (`entry_point`, `calls`, `call_check`) and what it left out."""

    task_id: str
    prompt: str
    canonical_solution: str
    entry_point: str
    calls: list[dict[str, Any]]
    call_check: str
    left_out: list[str] = field(default_factory=list)

    def item(self, program: str) -> dict[str, Any]:
        """A /code item for `program` (the whole program, prompt included)."""
        fields = {"entry_point": self.entry_point, "calls": self.calls}
        return {"completion": f"```python\n{program}\n```", "call_check": self.call_check, **fields}


def call_check(dataset: Dataset, task_id: str, entry_point: str, atol: float) -> str:
    """The problem's comparison rule as `check(out, expected, args)` source (module docstring)."""
    from evalplus.eval import _special_oracle as oracle  # EvalPlus's own oracle functions

    head = f"{CLOSE}\nATOL = {float(atol)!r}\nRTOL = {RTOL!r}\n"
    if dataset == "humaneval" and entry_point == "find_zero":
        body = "    return abs(_poly(*args, out)) <= ATOL\n"
        return head + inspect.getsource(oracle._poly) + _check(body)
    exact = "    exact = out == expected\n"
    if dataset == "mbpp":
        if entry_point in oracle.MBPP_OUTPUT_SET_EQ_TASKS:
            exact = "    exact = set(out) == set(expected)\n"
        elif entry_point in oracle.MBPP_OUTPUT_NOT_NONE_TASKS:
            exact = "    is_bool = isinstance(out, bool)\n"
            exact += "    exact = out == expected if is_bool else expected == (out is not None)\n"
        elif entry_point == "are_equivalent":  # Mbpp/164: any answer
            exact = "    exact = True\n"
        elif entry_point == "sum_div":  # Mbpp/295
            exact += "    exact = exact or out == 0\n"
        elif entry_point == "surface_Area":  # Mbpp/581
            head += inspect.getsource(oracle._surface_Area)
            exact += "    exact = exact or abs(out - _surface_Area(*args)) <= ATOL\n"
        elif entry_point == "digit_distance_nums":  # Mbpp/558
            head += inspect.getsource(oracle._digit_distance_nums)
            exact += "    exact = exact or out == _digit_distance_nums(*args)\n"
    body = exact + "    return exact or _within_atol(out, expected, ATOL)\n"
    return head + _check(body)


def _check(body: str) -> str:
    return f"\n\ndef check(out, expected, args):\n{body}"


def cases(inputs: list[Any], outputs: list[Any]) -> tuple[list[dict[str, Any]], list[str]]:
    """Each input and its expected output as a call; what was left out, and why."""
    calls, left_out = [], []
    for number, (args, expected) in enumerate(zip(inputs, outputs, strict=True)):
        if values_over((args, expected), MAX_CASE_BYTES // 2):  # no need to encode it to know
            left_out.append(f"input {number}: over {MAX_CASE_BYTES // 2} values")
            continue
        case = {"args": plain_data.encode(list(args)), "expected": plain_data.encode(expected)}
        size = len(json.dumps(case))
        if size > MAX_CASE_BYTES:
            left_out.append(f"input {number}: {size} bytes of JSON, over {MAX_CASE_BYTES}")
            continue
        calls.append(case)
    return calls, left_out


def values_over(value: Any, limit: int) -> bool:
    """Whether `value` holds more than `limit` values (counted until the limit, no further)."""
    stack, count = [value], 0
    while stack:
        node = stack.pop()
        count += 1
        if count > limit:
            return True
        if isinstance(node, (list, tuple, set, frozenset)):
            stack.extend(node)
        elif isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
    return False


def load(dataset: Dataset) -> Iterator[EvalPlusItem]:
    """Every problem of the dataset, in EvalPlus's order, as EvalPlus evaluates it."""
    from evalplus.evaluate import get_groundtruth  # imported late: evalplus is optional

    if dataset == "humaneval":
        from evalplus.data import get_human_eval_plus, get_human_eval_plus_hash

        problems, digest, not_none = get_human_eval_plus(), get_human_eval_plus_hash(), []
    else:
        from evalplus.data import get_mbpp_plus, get_mbpp_plus_hash
        from evalplus.eval._special_oracle import MBPP_OUTPUT_NOT_NONE_TASKS

        problems, digest = get_mbpp_plus(), get_mbpp_plus_hash()
        not_none = MBPP_OUTPUT_NOT_NONE_TASKS
    truth = get_groundtruth(problems, digest, not_none)
    for task_id, problem in problems.items():
        inputs = list(problem["base_input"]) + list(problem["plus_input"])
        outputs = list(truth[task_id]["base"]) + list(truth[task_id]["plus"])
        calls, left_out = cases(inputs, outputs)
        entry_point = problem["entry_point"]
        yield EvalPlusItem(
            task_id=task_id,
            prompt=problem["prompt"],
            canonical_solution=problem["canonical_solution"],
            entry_point=entry_point,
            calls=calls,
            call_check=call_check(dataset, task_id, entry_point, problem["atol"]),
            left_out=left_out,
        )


def main(argv: list[str]) -> int:
    """`python -m trainer.evalplus humaneval|mbpp OUT.jsonl`: one row per problem (prompt,
    entry_point, calls, call_check, canonical_solution), as trainer.data reads /code rows."""
    if len(argv) != 2 or argv[0] not in ("humaneval", "mbpp"):
        print("usage: python -m trainer.evalplus humaneval|mbpp OUT.jsonl", file=sys.stderr)
        return 2
    dataset: Dataset = "humaneval" if argv[0] == "humaneval" else "mbpp"
    with open(argv[1], "w", encoding="utf-8") as out:
        for problem in load(dataset):
            row = {k: v for k, v in vars(problem).items() if k != "left_out"}
            out.write(json.dumps(row) + "\n")
            for why in problem.left_out:
                print(f"{problem.task_id}: left out {why}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
