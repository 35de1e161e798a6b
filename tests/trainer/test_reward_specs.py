"""What the trainer sends for a dataset row's /code tests (`trainer.reward_specs.code_fields`,
which verl's ground truths go through too) keeps up with the service's `CodeTestFields`: the
trainer's list of the fields is the model's, and every field reaches /code from a row."""

from __future__ import annotations

from typing import Any

import pytest

from reward_service.api.code_schemas import CodeTestFields
from trainer.reward_specs import CODE_TEST_FIELDS, COLUMN_FIELDS, code_fields, code_spec
from trainer.verl_reward import code_tests

# one valid, non-default value per /code test field
SAMPLES: dict[str, Any] = {
    "language": "cpp",
    "tests": [{"stdin": "1", "stdout": "1"}],
    "setup": "import math",
    "test": "def check(candidate):\n    pass\n",
    "entry_point": "f",
    "checker": {"language": "python", "source": "import sys\n"},
    "fresh": True,
    "isolation": "per_test",
    "compare": "tokens",
    "abs_tol": 0.5,
    "rel_tol": 0.25,
    "judge_in": "outside",
    "stop_on_first_failure": True,
    "deadline_s": 12.5,
    "calls": [{"args": [1, {"t": [2]}], "kwargs": {}, "expected": 3}],
    "call_check": "def check(out, expected, args):\n    return out == expected\n",
    "std": "c++17",
    "edition": "2018",
}
# what a field needs beside it: a dialect is its language's
NEEDS: dict[str, dict[str, Any]] = {"std": {"language": "cpp"}, "edition": {"language": "rust"}}


def row_with(name: str) -> dict[str, Any]:
    if name in ("test", "entry_point"):
        return {"test": SAMPLES["test"], "entry_point": SAMPLES["entry_point"]}
    return {"tests": ["assert 1"], **NEEDS.get(name, {}), name: SAMPLES[name]}


def test_every_service_field_has_a_sample() -> None:
    assert set(SAMPLES) == set(CodeTestFields.model_fields), (
        "CodeTestFields changed: give the new field a sample value here"
    )


@pytest.mark.parametrize("name", sorted(CodeTestFields.model_fields))
def test_a_row_carries_every_code_test_field(name: str) -> None:
    for fields in (code_fields(row_with(name)), code_tests(row_with(name))):
        assert fields is not None and fields[name] == SAMPLES[name]
        CodeTestFields.model_validate(fields)  # and the service takes what was sent


def test_the_trainers_list_of_code_test_fields_is_the_services() -> None:
    assert set(CodeTestFields.model_fields) == CODE_TEST_FIELDS
    assert COLUMN_FIELDS <= CODE_TEST_FIELDS


def test_a_runs_early_exits_reach_every_row_that_sets_none() -> None:
    spec = code_spec(stop_on_first_failure=True, deadline_s=30.0)
    items = spec.items(["```python\nx = 1\n```"] * 2, [{"tests": ["assert x"]},
                       {"tests": ["assert x"], "deadline_s": 5.0}])  # fmt: skip
    assert [(i["stop_on_first_failure"], i["deadline_s"]) for i in items] == [  # type: ignore[index]
        (True, 30.0),
        (True, 5.0),  # the row's own
    ]
    assert "stop_on_first_failure" not in code_spec().items(["x"], [{"tests": ["assert 1"]}])[0]  # type: ignore[operator]
