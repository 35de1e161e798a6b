"""TRL reward functions that get each completion's reward from the service over HTTP.

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
with a test that hit the time limit, and `frac_judged_inside`: items with a test judged inside
the program's interpreter; `timeout`, `no_code` and `infra_error` are always logged for code,
so dashboards get zeros too) and `<name>/frac_unscored` (items that came back
`None`); through `log_extra` it adds a `<name>_status` column to TRL's completions table.

What each function sends is its `trainer.reward_specs.RewardSpec` (`grpo-eval` sends the same);
`reward_function(spec)` turns any spec into a TRL reward function.

Left out: grading itself (the service does it; nothing here executes a completion), and
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

from reward_service.rewards.format import FORMAT_REWARDS, FormatStyle
from reward_service.rewards.math import MATH_REWARDS, ExtractMode
from trainer.client import Result, RewardClient, run_sync
from trainer.reward_specs import (
    ColumnRow,
    Columns,
    RewardSpec,
    code_spec,
    format_spec,
    math_spec,
    score_spec,
)

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


def reward_function(
    spec: RewardSpec, client: RewardClient | None = None, mode: Mode = "auto"
) -> RewardFunc:
    """A TRL reward function named `spec.name` that asks the service for `spec`'s rewards.

    `client=None` reads `REWARD_URL` (and `REWARD_API_KEY`) from the environment at each call."""

    async def fetch_rewards(
        completions: Sequence[Any], columns: Mapping[str, Any]
    ) -> list[float | None]:
        texts = [completion_text(c) for c in completions]
        rows = [ColumnRow(columns, i) for i in range(len(completions))]
        results = await spec.fetch(client or RewardClient(), texts, rows)
        log_metric, log_extra = columns.get("log_metric"), columns.get("log_extra")
        if callable(log_metric):
            _log_statuses(spec.name, spec.endpoint, results, log_metric)
        if callable(log_extra):  # a column in TRL's completions table
            statuses = ["unscored" if r is None else str(r.get("status", "ok")) for r in results]
            _safely(log_extra, f"{spec.name}_status", statuses)
        return [_reward_of(r) for r in results]

    async def reward_async(
        prompts: Sequence[Any] | None = None,
        completions: Sequence[Any] = (),
        completion_ids: Sequence[Any] | None = None,
        **kwargs: Any,
    ) -> list[float | None]:
        try:
            return await fetch_rewards(completions, kwargs)
        except Exception:  # TRL aborts train() on an exception: unscored instead
            logger.exception("%s failed; rewards for this batch are None", spec.name)
            return [None] * len(completions)

    def reward_sync(
        prompts: Sequence[Any] | None = None,
        completions: Sequence[Any] = (),
        completion_ids: Sequence[Any] | None = None,
        **kwargs: Any,
    ) -> list[float | None]:
        try:
            return run_sync(fetch_rewards(completions, kwargs))
        except Exception:
            logger.exception("%s failed; rewards for this batch are None", spec.name)
            return [None] * len(completions)

    use_async = mode == "async" or (mode == "auto" and trl_gathers_async())
    func: RewardFunc = reward_async if use_async else reward_sync
    func.__name__ = spec.name
    func.__qualname__ = spec.name
    func.__doc__ = (
        f"Reward from the service's `{spec.endpoint}` endpoint (one float or None per item)."
    )
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
        # items with a test judged inside the program's interpreter (weaker against hacks)
        counts["frac_judged_inside"] = sum(_any_test_judged_inside(r) for r in scored)
    for status in _ALWAYS_LOGGED.get(kind, ()):
        counts.setdefault(f"frac_{status}", 0)
    for key, count in sorted(counts.items()):
        _safely(log_metric, f"{name}/{key}", count / total)
    _safely(log_metric, f"{name}/frac_unscored", (total - len(scored)) / total)


def _any_test_judged_inside(result: Result) -> bool:
    tests = result.get("tests") or []
    return any(isinstance(t, Mapping) and t.get("judged_in") == "inside" for t in tests)


def _any_test_status(result: Result, status: str) -> bool:
    tests = result.get("tests") or []
    return any(isinstance(t, Mapping) and t.get("status") == status for t in tests)


def _safely(hook: Callable[..., Any], *args: Any) -> None:
    try:
        hook(*args)
    except Exception:  # a logging hook must never stop training
        logger.exception("TRL logging hook failed for %s", args[0])


def remote_math_reward(
    client: RewardClient | None = None,
    *,
    extract: ExtractMode = "gsm8k",
    correct: float = MATH_REWARDS.correct,
    wrong: float = MATH_REWARDS.wrong,
    missing: float = MATH_REWARDS.missing,
    answer_column: str = "answer",
    name: str = "math_reward",
    mode: Mode = "auto",
) -> RewardFunc:
    """Grades the final answer against the dataset's `answer_column` through `/math`.

    Items without a gold answer are not sent and get `None`. `client=None` reads `REWARD_URL`
    (and `REWARD_API_KEY`) from the environment at each call.
    """
    spec = math_spec(
        extract=extract,
        correct=correct,
        wrong=wrong,
        missing=missing,
        columns=Columns(answer=answer_column),
        name=name,
    )
    return reward_function(spec, client, mode)


def remote_format_reward(
    client: RewardClient | None = None,
    *,
    style: FormatStyle = "think",
    ok: float = FORMAT_REWARDS.ok,
    missing: float = FORMAT_REWARDS.missing,
    name: str = "format_reward",
    mode: Mode = "auto",
) -> RewardFunc:
    """Rewards following the reasoning template (`<think>...</think>`, or R1's) via `/format`."""
    return reward_function(
        format_spec(style=style, ok=ok, missing=missing, name=name), client, mode
    )


def remote_code_reward(
    client: RewardClient | None = None,
    *,
    timeout_s: float | None = None,
    memory_mb: int | None = None,
    tests_column: str = "tests",
    test_column: str = "test",
    entry_point_column: str = "entry_point",
    name: str = "code_reward",
    mode: Mode = "auto",
    language: str | None = None,
    stop_on_first_failure: bool | None = None,
    deadline_s: float | None = None,
) -> RewardFunc:
    """Runs the completion's code against the item's tests in the service's sandbox (`/code`).

    Tests come from `tests_column` (a list of MBPP-style asserts or `{"stdin", "stdout"}` cases)
    or from `test_column` plus `entry_point_column` (HumanEval-style `check(candidate)`; in
    another language than Python, `test_column` alone holds the test harness). A row's
    `language` column (else `language`, else Python) names its programming language, and a
    `checker` column, a stdin/stdout checker. Items with no tests get `None`. Limits left as None
    are the service's defaults. `stop_on_first_failure` and `deadline_s` (see /code) apply to
    every row that does not set its own: with a binary reward, stopping at the first failing
    test loses nothing and saves the sandbox most of the work on failing samples. The code runs
    in the service's sandbox, never in this process.
    """
    columns = Columns(tests=tests_column, test=test_column, entry_point=entry_point_column)
    spec = code_spec(
        timeout_s=timeout_s,
        memory_mb=memory_mb,
        columns=columns,
        name=name,
        language=language,
        stop_on_first_failure=stop_on_first_failure,
        deadline_s=deadline_s,
    )
    return reward_function(spec, client, mode)


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
    columns = Columns(answer_column, tests_column, test_column, entry_point_column)
    spec = score_spec(components, options=options, columns=columns, name=name)
    return reward_function(spec, client, mode)


def random_reward(func: RewardFunc, seed: int = 0) -> RewardFunc:
    """The control run's reward: `func` still asks the service (so its status fractions, e.g.
    `math_reward/frac_correct`, log how right the policy really is), but the reward TRL gets is
    a fair coin, 0.0 or 1.0, drawn from `seed`. Same name, same calls, no signal: what a run
    learns beyond this control is what the verifiable reward taught it."""
    import inspect
    import random

    rng = random.Random(f"random-reward:{func.__name__}:{seed}")

    def coins(rewards: Sequence[float | None]) -> list[float | None]:
        return [None if r is None else float(rng.random() < 0.5) for r in rewards]

    if inspect.iscoroutinefunction(func):
        real_async = func

        async def control_async(*args: Any, **kwargs: Any) -> list[float | None]:
            return coins(await real_async(*args, **kwargs))

        control: RewardFunc = control_async
    else:
        real_sync: Callable[..., list[float | None]] = func  # type: ignore[assignment]

        def control_sync(*args: Any, **kwargs: Any) -> list[float | None]:
            return coins(real_sync(*args, **kwargs))

        control = control_sync
    control.__name__ = control.__qualname__ = func.__name__
    control.__doc__ = f"A fair-coin reward (control run) in place of {func.__name__}."
    return control
