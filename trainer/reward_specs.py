"""What each reward asks of the service: the endpoint, the batch options, and how a dataset row
plus a completion become one item. Shared by the TRL reward functions (`trainer.rewards`) and
`grpo-eval`, so training and evaluation send exactly the same requests.

A row is any mapping from column name to value: a dict from a dataset, or `ColumnRow`, the
view of row `i` of the columns TRL passes to reward functions. A row that lacks what its reward
needs (no gold answer, no tests) gives no item: it is not sent, and its result is `None`.

>>> spec = math_spec(extract="flexible")
>>> spec.endpoint, spec.items(["#### 7", "#### 8"], [{"answer": 7}, {"answer": None}])
('math', [{'completion': '#### 7', 'answer': 7}, None])
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from reward_service.in_order import Refused, grade_in_order
from reward_service.rewards.format import FORMAT_REWARDS, FormatStyle
from reward_service.rewards.math import MATH_REWARDS, ExtractMode
from trainer.client import Result, RewardClient

Endpoint = Literal["math", "format", "code", "score"]
Row = Mapping[str, Any]
ItemBuilder = Callable[[str, Row], dict[str, Any] | None]


@dataclass(frozen=True)
class Columns:
    """Where a dataset keeps what the rewards read."""

    answer: str = "answer"
    tests: str = "tests"
    test: str = "test"
    entry_point: str = "entry_point"
    language: str = "language"  # optional column: the row's programming language
    checker: str = "checker"  # optional column: a stdin/stdout checker {"language", "source"}


# The service's /code test fields (`CodeTestFields`; tests/trainer/test_reward_specs.py fails
# when the two differ). Named here, not imported: the trainer needs no pydantic.
CODE_TEST_FIELDS = frozenset(
    {
        "language",
        "tests",
        "setup",
        "test",
        "entry_point",
        "checker",
        "fresh",
        "isolation",
        "compare",
        "abs_tol",
        "rel_tol",
        "judge_in",
        "stop_on_first_failure",
        "deadline_s",
        "calls",
        "call_check",
        "std",
        "edition",
    }
)
# fields holding JSON data (a list), which datasets often keep as JSON text
STRUCTURED = frozenset({"calls"})
# those read from `Columns`; every other one is read under its own name
COLUMN_FIELDS = frozenset({"tests", "test", "entry_point", "language", "checker"})


@dataclass(frozen=True)
class RewardSpec:
    name: str
    endpoint: Endpoint
    options: Mapping[str, Any]
    build_item: ItemBuilder = field(repr=False)

    @property
    def runs_programs(self) -> bool:
        """A timed-out request of this kind is still running on the server: never re-send it."""
        components = self.options.get("components")
        return self.endpoint == "code" or (isinstance(components, Mapping) and "code" in components)

    def items(self, texts: Sequence[str], rows: Sequence[Row]) -> list[dict[str, Any] | None]:
        return [self.build_item(text, row) for text, row in zip(texts, rows, strict=True)]

    async def fetch(
        self, client: RewardClient, texts: Sequence[str], rows: Sequence[Row]
    ) -> list[Result | None]:
        """One service result (or None) per completion, in order; rows that give no item are
        not sent."""
        items = [Refused(None) if item is None else item for item in self.items(texts, rows)]
        retry = not self.runs_programs  # a timed-out program run is not re-run
        return await grade_in_order(
            items,
            lambda sendable: client.fetch(
                self.endpoint, sendable, self.options, retry_read_timeouts=retry
            ),
        )


class ColumnRow(Mapping[str, Any]):
    """Row `index` of TRL's reward-function columns (lists per column; other kwargs ignored)."""

    def __init__(self, columns: Mapping[str, Any], index: int) -> None:
        self._columns = columns
        self._index = index

    def __getitem__(self, key: str) -> Any:
        values = self._columns[key]
        if not isinstance(values, Sequence) or isinstance(values, str):
            raise KeyError(key)
        if self._index >= len(values):
            raise KeyError(key)
        return values[self._index]

    def __iter__(self) -> Iterator[str]:
        return iter(self._columns)

    def __len__(self) -> int:
        return len(self._columns)


def json_value(value: Any) -> Any:
    """Numpy/torch scalars from a dataset are not JSON: turn them into plain Python values."""
    if isinstance(value, (str, int, float)) or value is None:
        return value
    item = getattr(value, "item", None)
    return item() if callable(item) else str(value)


def gold_answer(row: Row, column: str) -> Any:
    """The row's gold answer as JSON, or None (booleans are no answer)."""
    gold = json_value(row.get(column))
    return None if isinstance(gold, bool) else gold


def code_fields(
    row: Row, columns: Columns = Columns(), language: str | None = None
) -> dict[str, Any] | None:
    """The `/code` test fields of a row (a dataset row, or a label that holds the fields), JSON
    ready; None if it has no tests.

    The tests are `tests`, or `test` + `entry_point` (another language than Python: `test`
    alone, its harness), read from `columns`; then come the row's language (else `language`),
    its checker, and every other /code field the row has under that field's own name
    (`setup`, `isolation`, `fresh`, ...: `CODE_TEST_FIELDS`).

    >>> code_fields({"tests": "assert f()", "isolation": "per_test", "note": "x"})
    {'tests': ['assert f()'], 'isolation': 'per_test'}
    """
    language = row.get(columns.language) or language
    settings = _run_settings(row, columns, language)
    tests = _test_fields(row, columns, language)
    return None if tests is None else {**tests, **settings}


def _test_fields(row: Row, columns: Columns, language: str | None) -> dict[str, Any] | None:
    tests = row.get(columns.tests)
    if tests is not None and len(tests) > 0:  # an empty list would fail that item
        if isinstance(tests, str):
            return {"tests": [tests]}
        # assert strings stay strings; stdin/stdout cases stay dicts (JSON-ready)
        return {"tests": [dict(t) if isinstance(t, Mapping) else str(t) for t in tests]}
    test, entry_point = row.get(columns.test), row.get(columns.entry_point)
    if test is None:
        return None
    if entry_point is None:  # a harness: what other languages' tests are
        return {"test": str(test)} if language and language != "python" else None
    return {"test": str(test), "entry_point": str(entry_point)}


def _run_settings(row: Row, columns: Columns, language: str | None) -> dict[str, Any]:
    """How the tests run: the language, the checker, and the fields read under their own name."""
    settings: dict[str, Any] = {"language": str(language)} if language else {}
    checker = row.get(columns.checker)
    if isinstance(checker, str) and checker.strip():  # datasets often keep it as JSON text
        checker = json.loads(checker)
    if isinstance(checker, Mapping):
        settings["checker"] = {str(k): str(v) for k, v in checker.items()}
    for name in sorted(CODE_TEST_FIELDS - COLUMN_FIELDS):
        value = structured(row.get(name)) if name in STRUCTURED else json_value(row.get(name))
        if value is not None:
            settings[name] = value
    return settings


def structured(value: Any) -> Any:
    """A field that holds JSON data (`calls`), as a list or as JSON text."""
    if isinstance(value, (str, bytes)):
        return json.loads(value) if value.strip() else None
    return value


def math_spec(
    *,
    extract: ExtractMode = "gsm8k",
    correct: float = MATH_REWARDS.correct,
    wrong: float = MATH_REWARDS.wrong,
    missing: float = MATH_REWARDS.missing,
    columns: Columns = Columns(),
    name: str = "math_reward",
) -> RewardSpec:
    def build(text: str, row: Row) -> dict[str, Any] | None:
        gold = gold_answer(row, columns.answer)
        return None if gold is None else {"completion": text, "answer": gold}

    options = {
        "extract": extract,
        "rewards": {"correct": correct, "wrong": wrong, "missing": missing},
    }
    return RewardSpec(name, "math", options, build)


def format_spec(
    *,
    style: FormatStyle = "think",
    ok: float = FORMAT_REWARDS.ok,
    missing: float = FORMAT_REWARDS.missing,
    name: str = "format_reward",
) -> RewardSpec:
    def build(text: str, row: Row) -> dict[str, Any]:
        return {"completion": text}

    options = {"style": style, "format_rewards": {"ok": ok, "missing": missing}}
    return RewardSpec(name, "format", options, build)


def code_spec(
    *,
    timeout_s: float | None = None,
    memory_mb: int | None = None,
    columns: Columns = Columns(),
    name: str = "code_reward",
    language: str | None = None,
    stop_on_first_failure: bool | None = None,
    deadline_s: float | None = None,
) -> RewardSpec:
    """Limits left as None take the server's defaults; `language` is for rows without one, as
    are the early exits (`stop_on_first_failure`, `deadline_s`: see /code)."""
    early = early_exits(stop_on_first_failure, deadline_s)

    def build(text: str, row: Row) -> dict[str, Any] | None:
        fields = code_fields(row, columns, language)
        return None if fields is None else {"completion": text, **early, **fields}

    limits = {
        k: v for k, v in (("timeout_s", timeout_s), ("memory_mb", memory_mb)) if v is not None
    }
    return RewardSpec(name, "code", {"limits": limits} if limits else {}, build)


def early_exits(stop_on_first_failure: bool | None, deadline_s: float | None) -> dict[str, Any]:
    """The early-exit fields a run sets for every item (a row's own take precedence).

    >>> early_exits(True, None)
    {'stop_on_first_failure': True}
    """
    fields = {"stop_on_first_failure": stop_on_first_failure, "deadline_s": deadline_s}
    return {k: v for k, v in fields.items() if v is not None}


def score_spec(
    components: Mapping[str, float],
    *,
    options: Mapping[str, Any] | None = None,
    columns: Columns = Columns(),
    name: str = "score_reward",
) -> RewardSpec:
    wants_code = "code" in components

    def build(text: str, row: Row) -> dict[str, Any]:
        item: dict[str, Any] = {"completion": text}
        gold = gold_answer(row, columns.answer)
        if gold is not None:
            item["answer"] = gold
        if wants_code:
            item |= code_fields(row, columns) or {}
        return item

    body = {**(options or {}), "components": dict(components)}
    return RewardSpec(name, "score", body, build)
