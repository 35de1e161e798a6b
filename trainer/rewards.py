"""TRL reward functions that score completions on the reward service over HTTP.

Add them to any GRPO script and change nothing else::

    from trainer.rewards import remote_format_reward, remote_math_reward

    trainer = GRPOTrainer(..., reward_funcs=[remote_math_reward(), remote_format_reward()])

Each factory returns a real function with a stable `__name__` (`math_reward`, `format_reward`,
`code_reward`, `score_reward`, or the `name=` you pass), so TRL logs `rewards/<name>/mean`. TRL
calls it as `f(prompts=..., completions=..., completion_ids=..., **dataset_columns)`; it returns one
float per completion, or `None` where the service could not score it (unreachable after retries,
or an item the service rejects). Plain-text and conversational completions both work.

Concurrency: TRL >= 0.27 gathers `async def` reward functions on its own event loop, so by default
the factories return `async def` functions there; older TRL (what unsloth pins) would never await
them, so there they return a synchronous wrapper. `mode="async"|"sync"` forces either.

Where TRL passes `log_metric` (1.0+), each function also logs what the service saw for the batch:
`<name>/frac_<status>` for every item status it reported (for code also `frac_timeout`: items
with a test that hit the time limit; `timeout`, `no_code` and `infra_error` are always logged for
code, so dashboards get zeros too) and `<name>/frac_unscored` (items that came back
`None`); through `log_extra` it adds a `<name>_status` column to TRL's completions table.

Left out: scoring itself (the service does it; nothing here executes a completion), and
coordinating `None` across functions: if one function returns `None` for an item and another a
number, TRL counts the `None` as 0 in the sum. Use `remote_score_reward` (one call to `/score`,
one reward per item) when that matters.
"""

from __future__ import annotations

import importlib.metadata
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Literal

from trainer.client import Result, RewardClient, run_sync

logger = logging.getLogger(__name__)

RewardFunc = Callable[..., list[float | None]] | Callable[..., Awaitable[list[float | None]]]
Mode = Literal["auto", "async", "sync"]
_ALWAYS_LOGGED = {"code": ("timeout", "no_code", "infra_error")}


def completion_text(completion: Any) -> str:
    """The text of one completion: a string, or the assistant messages of a conversation."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, Mapping):
        completion = [completion]
    parts: list[str] = []
    for message in completion or []:
        if not isinstance(message, Mapping) or message.get("role", "assistant") != "assistant":
            continue
        content = message.get("content")
        if isinstance(content, str):
            parts.append(content)
        elif isinstance(content, list):  # multimodal-style [{"type": "text", "text": ...}]
            parts.extend(p.get("text", "") for p in content if isinstance(p, Mapping))
    return "".join(parts)


def trl_gathers_async() -> bool:
    """Whether the installed TRL awaits `async def` reward functions (0.27+); True without TRL."""
    try:
        version = importlib.metadata.version("trl")
    except importlib.metadata.PackageNotFoundError:
        return True
    numbers = []
    for piece in version.split(".")[:2]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        numbers.append(int(digits or 0))
    return tuple(numbers) >= (0, 27)


ItemBuilder = Callable[[int, str, Mapping[str, Sequence[Any]]], dict[str, Any] | None]


def _make_reward(
    name: str,
    kind: str,
    endpoint: str,
    client: RewardClient | None,
    options: Mapping[str, Any],
    build_item: ItemBuilder,
    mode: Mode,
) -> RewardFunc:
    """A named reward function posting one item per completion to `endpoint`."""
    shared = client
    components = options.get("components")
    runs_programs = endpoint == "code" or (isinstance(components, Mapping) and "code" in components)

    async def score(
        completions: Sequence[Any],
        columns: Mapping[str, Sequence[Any]],
        log_metric: Any,
        log_extra: Any,
    ) -> list[float | None]:
        reward_client = shared or RewardClient()
        items: list[dict[str, Any] | None] = [
            build_item(i, completion_text(c), columns) for i, c in enumerate(completions)
        ]
        sendable = [item for item in items if item is not None]
        answers = await reward_client.score(
            endpoint, sendable, options, retry_read_timeouts=not runs_programs
        )
        answer_iter = iter(answers)
        results: list[Result | None] = [
            None if item is None else next(answer_iter) for item in items
        ]
        if callable(log_metric):
            _log_statuses(name, kind, results, log_metric)
        if callable(log_extra):  # a column in TRL's completions table
            statuses = ["unscored" if r is None else str(r.get("status", "ok")) for r in results]
            _safely(log_extra, f"{name}_status", statuses)
        return [_reward_of(r) for r in results]

    async def reward_async(
        prompts: Sequence[Any] | None = None,
        completions: Sequence[Any] = (),
        completion_ids: Sequence[Any] | None = None,
        **kwargs: Any,
    ) -> list[float | None]:
        try:
            return await score(
                completions, kwargs, kwargs.get("log_metric"), kwargs.get("log_extra")
            )
        except Exception:  # TRL aborts train() on an exception: unscored instead
            logger.exception("%s failed; rewards for this batch are None", name)
            return [None] * len(completions)

    def reward_sync(
        prompts: Sequence[Any] | None = None,
        completions: Sequence[Any] = (),
        completion_ids: Sequence[Any] | None = None,
        **kwargs: Any,
    ) -> list[float | None]:
        try:
            return run_sync(
                score(completions, kwargs, kwargs.get("log_metric"), kwargs.get("log_extra"))
            )
        except Exception:
            logger.exception("%s failed; rewards for this batch are None", name)
            return [None] * len(completions)

    use_async = mode == "async" or (mode == "auto" and trl_gathers_async())
    func: RewardFunc = reward_async if use_async else reward_sync
    func.__name__ = name
    func.__qualname__ = name
    func.__doc__ = f"Reward from the service's `{endpoint}` endpoint (one float or None per item)."
    return func


def _reward_of(result: Result | None) -> float | None:
    if result is None:
        return None
    reward = result.get("reward")
    return float(reward) if isinstance(reward, (int, float)) else None


def _log_statuses(
    name: str, kind: str, results: Sequence[Result | None], log_metric: Callable[[str, float], Any]
) -> None:
    total = len(results)
    if not total:
        return
    scored = [r for r in results if r is not None]
    counts: Counter[str] = Counter()
    if kind == "score":  # /score: statuses live in each component's result
        for r in scored:
            for part, sub in (r.get("components") or {}).items():
                if isinstance(sub, Mapping):
                    counts[f"{part}/frac_{sub.get('status')}"] += 1
    else:
        counts.update(f"frac_{r.get('status')}" for r in scored)
    if kind == "code":  # an item "timed out" when any of its tests hit the time limit
        counts["frac_timeout"] += sum(
            r.get("status") != "timeout" and _any_test_status(r, "timeout") for r in scored
        )
    for status in _ALWAYS_LOGGED.get(kind, ()):
        counts.setdefault(f"frac_{status}", 0)
    for key, count in sorted(counts.items()):
        _safely(log_metric, f"{name}/{key}", count / total)
    _safely(log_metric, f"{name}/frac_unscored", (total - len(scored)) / total)


def _any_test_status(result: Result, status: str) -> bool:
    tests = result.get("tests") or []
    return any(isinstance(t, Mapping) and t.get("status") == status for t in tests)


def _safely(hook: Callable[..., Any], *args: Any) -> None:
    try:
        hook(*args)
    except Exception:  # a logging hook must never stop training
        logger.exception("TRL logging hook failed for %s", args[0])


def _column(columns: Mapping[str, Sequence[Any]], key: str, i: int) -> Any:
    values = columns.get(key)
    if values is None or i >= len(values):
        return None
    return values[i]


def _json_number(value: Any) -> Any:
    """Numpy/torch scalars from a dataset are not JSON: turn them into plain Python values."""
    if isinstance(value, (str, int, float)) or value is None:
        return value
    item = getattr(value, "item", None)
    return item() if callable(item) else str(value)


def _tests_list(tests: Any) -> list[Any]:
    """Assert strings stay strings; stdin/stdout cases stay dicts (JSON-ready)."""
    if isinstance(tests, str):
        return [tests]
    return [dict(t) if isinstance(t, Mapping) else str(t) for t in tests]


def _code_fields(
    columns: Mapping[str, Sequence[Any]],
    i: int,
    tests_column: str,
    test_column: str,
    entry_point_column: str,
) -> dict[str, Any] | None:
    """The `/code` test fields of row `i`: `tests`, or `test` + `entry_point`; None if neither."""
    tests = _column(columns, tests_column, i)
    if tests is not None and len(tests) > 0:  # an empty list would fail the whole request
        return {"tests": _tests_list(tests)}
    test = _column(columns, test_column, i)
    entry_point = _column(columns, entry_point_column, i)
    if test is None or entry_point is None:
        return None
    return {"test": str(test), "entry_point": str(entry_point)}


def remote_math_reward(
    client: RewardClient | None = None,
    *,
    extract: Literal["gsm8k", "flexible", "latex"] = "gsm8k",
    correct: float = 1.0,
    wrong: float = -0.5,
    missing: float = -1.0,
    answer_column: str = "answer",
    name: str = "math_reward",
    mode: Mode = "auto",
) -> RewardFunc:
    """Grades the final answer against the dataset's `answer_column` through `/math`.

    Items without a gold answer are not sent and get `None`. `client=None` reads `REWARD_URL`
    (and `REWARD_API_KEY`) from the environment at each call.
    """

    def build(i: int, text: str, columns: Mapping[str, Sequence[Any]]) -> dict[str, Any] | None:
        gold = _json_number(_column(columns, answer_column, i))
        if gold is None or isinstance(gold, bool):
            return None
        return {"completion": text, "answer": gold}

    options = {
        "extract": extract,
        "rewards": {"correct": correct, "wrong": wrong, "missing": missing},
    }
    return _make_reward(name, "math", "math", client, options, build, mode)


def remote_format_reward(
    client: RewardClient | None = None,
    *,
    style: Literal["think", "r1"] = "think",
    ok: float = 0.2,
    missing: float = 0.0,
    name: str = "format_reward",
    mode: Mode = "auto",
) -> RewardFunc:
    """Rewards following the reasoning template (`<think>...</think>`, or R1's) via `/format`."""

    def build(i: int, text: str, columns: Mapping[str, Sequence[Any]]) -> dict[str, Any]:
        return {"completion": text}

    options = {"style": style, "format_rewards": {"ok": ok, "missing": missing}}
    return _make_reward(name, "format", "format", client, options, build, mode)


def remote_code_reward(
    client: RewardClient | None = None,
    *,
    timeout_s: float = 5.0,
    memory_mb: int = 256,
    tests_column: str = "tests",
    test_column: str = "test",
    entry_point_column: str = "entry_point",
    name: str = "code_reward",
    mode: Mode = "auto",
) -> RewardFunc:
    """Runs the completion's code against the item's tests in the service's sandbox (`/code`).

    Tests come from `tests_column` (a list of MBPP-style asserts or `{"stdin", "stdout"}` cases)
    or from `test_column` plus `entry_point_column` (HumanEval-style `check(candidate)`). Items
    with neither get `None`. The code runs in the service's sandbox, never in this process.
    """

    def build(i: int, text: str, columns: Mapping[str, Sequence[Any]]) -> dict[str, Any] | None:
        fields = _code_fields(columns, i, tests_column, test_column, entry_point_column)
        return None if fields is None else {"completion": text, **fields}

    options = {"limits": {"timeout_s": timeout_s, "memory_mb": memory_mb}}
    return _make_reward(name, "code", "code", client, options, build, mode)


def remote_score_reward(
    components: Mapping[str, float],
    client: RewardClient | None = None,
    *,
    options: Mapping[str, Any] | None = None,
    answer_column: str = "answer",
    tests_column: str = "tests",
    test_column: str = "test",
    entry_point_column: str = "entry_point",
    name: str = "score_reward",
    mode: Mode = "auto",
) -> RewardFunc:
    """One weighted reward per item from `/score` (e.g. `{"math": 1.0, "format": 1.0}`).

    `options` are passed through to the service (e.g. `{"extract": "gsm8k", "style": "think"}`).
    Use this instead of separate functions when an unscorable item must be `None` as a whole.
    Status fractions are logged per component: `<name>/math/frac_<status>`. With a `code`
    component, each item also carries its tests from the same columns as `remote_code_reward`.
    """
    wants_code = "code" in components

    def build(i: int, text: str, columns: Mapping[str, Sequence[Any]]) -> dict[str, Any]:
        item: dict[str, Any] = {"completion": text}
        gold = _json_number(_column(columns, answer_column, i))
        if gold is not None and not isinstance(gold, bool):
            item["answer"] = gold
        if wants_code:
            item |= _code_fields(columns, i, tests_column, test_column, entry_point_column) or {}
        return item

    body = {**(options or {}), "components": dict(components)}
    return _make_reward(name, "score", "score", client, body, build, mode)
