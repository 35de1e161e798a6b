"""The TRL reward functions against the real reward service (a subprocess, no Docker)."""

from __future__ import annotations

import asyncio
import inspect
import logging
from typing import Any

import pytest

import trainer.rewards as rewards_module
from tests.trainer.trainer_servers import free_port, items_seen
from trainer.client import ClientConfig, RewardClient
from trainer.rewards import (
    completion_text,
    remote_code_reward,
    remote_format_reward,
    remote_math_reward,
    remote_score_reward,
)


def client_for(url: str, **changes: Any) -> RewardClient:
    return RewardClient(ClientConfig(url=url, read_timeout_s=10, backoff_max_s=0.05, **changes))


class Metrics:
    def __init__(self) -> None:
        self.values: dict[str, float] = {}

    def __call__(self, name: str, value: float) -> None:
        self.values[name] = value


def call(func: Any, **kwargs: Any) -> list[float | None]:
    out = func(**kwargs)
    return asyncio.run(out) if inspect.iscoroutine(out) else out  # type: ignore[no-any-return]


def test_math_reward_scores_plain_and_conversational_completions(service_url: str) -> None:
    before = items_seen(service_url, "math")
    metrics = Metrics()
    func = remote_math_reward(client_for(service_url))
    completions: list[Any] = [
        "<think>16-3-4=9, 9*2=18</think> #### 18",
        [{"role": "assistant", "content": "I think it is #### 17"}],
        "no idea",
        "#### 5",
    ]
    result = call(
        func,
        prompts=["q"] * 4,
        completions=completions,
        completion_ids=[[1]] * 4,
        answer=["... #### 18", "18", 18, None],  # the last has no gold: not sent, None
        trainer_state=None,
        log_metric=metrics,
    )
    assert result == [1.0, -0.5, -1.0, None]
    assert items_seen(service_url, "math") - before == 3
    assert metrics.values["math_reward/frac_correct"] == 0.25
    assert metrics.values["math_reward/frac_unscored"] == 0.25


def test_names_are_stable_and_async_is_detected_by_trl() -> None:
    math, fmt, code = remote_math_reward(), remote_format_reward(), remote_code_reward()
    assert [f.__name__ for f in (math, fmt, code)] == [
        "math_reward",
        "format_reward",
        "code_reward",
    ]
    assert remote_math_reward(name="gsm8k_math").__name__ == "gsm8k_math"
    trl_utils = pytest.importorskip("trl.trainer.utils")
    if hasattr(trl_utils, "is_async_callable"):
        assert trl_utils.is_async_callable(math)
        assert trl_utils.get_callable_name(math) == "math_reward"


def test_old_trl_gets_a_sync_function(monkeypatch: pytest.MonkeyPatch, service_url: str) -> None:
    monkeypatch.setattr(rewards_module.importlib.metadata, "version", lambda _: "0.24.0")
    func = remote_format_reward(client_for(service_url))
    assert not inspect.iscoroutinefunction(func)
    assert func.__name__ == "format_reward"
    out = func(prompts=["p", "p"], completions=["<think>x</think> #### 1", "#### 1"])
    assert out == [0.2, 0.0]


async def test_sync_mode_works_inside_a_running_event_loop(service_url: str) -> None:
    func = remote_format_reward(client_for(service_url), mode="sync", ok=1.0)
    assert func(completions=[[{"role": "assistant", "content": "<think>a</think>"}]]) == [1.0]


def test_unreachable_service_gives_none_not_zero(caplog: pytest.LogCaptureFixture) -> None:
    metrics = Metrics()
    func = remote_math_reward(client_for(f"http://127.0.0.1:{free_port()}", max_retries=1))
    with caplog.at_level(logging.WARNING, logger="trainer.client"):
        out = call(func, completions=["#### 1", "#### 2"], answer=["1", "2"], log_metric=metrics)
    assert out == [None, None]
    assert metrics.values == {"math_reward/frac_unscored": 1.0}
    assert "rewards are None" in caplog.text


def test_code_reward_is_none_when_the_service_has_no_sandbox(service_url: str) -> None:
    metrics = Metrics()
    func = remote_code_reward(client_for(service_url, max_retries=0))
    out = call(
        func,
        completions=["```python\ndef f():\n    return 1\n```", "no code"],
        tests=[["assert f() == 1"], None],  # the second has no tests at all
        log_metric=metrics,
    )
    assert out == [None, None]  # 503 from a server without Docker: unscored, not wrong
    assert metrics.values["code_reward/frac_unscored"] == 1.0
    assert metrics.values["code_reward/frac_timeout"] == 0.0


def test_completion_text_shapes() -> None:
    assert completion_text("plain") == "plain"
    assert completion_text([{"role": "assistant", "content": "a"}]) == "a"
    parts = [{"role": "assistant", "content": [{"type": "text", "text": "b"}]}]
    assert completion_text(parts) == "b"
    assert completion_text([{"role": "tool", "content": "x"}]) == ""


def test_score_reward_combines_components_in_one_call(service_url: str) -> None:
    metrics = Metrics()
    func = remote_score_reward(
        {"math": 1.0, "format": 1.0},
        client_for(service_url),
        options={"extract": "gsm8k", "style": "think"},
    )
    assert func.__name__ == "score_reward"
    out = call(
        func,
        completions=["<think>9 eggs at $2</think> #### 18", "#### 17"],
        answer=["18", "18"],
        tests=[["assert True"], None],  # other dataset columns are not sent
        log_metric=metrics,
    )
    assert out == [1.2, -0.5]  # 1.0 + 0.2 (format ok), -0.5 + 0.0
    assert metrics.values["score_reward/math/frac_correct"] == 0.5
    assert metrics.values["score_reward/format/frac_missing"] == 0.5


def test_a_broken_batch_is_unscored_instead_of_raising(service_url: str) -> None:
    func = remote_math_reward(client_for(service_url))
    # A column that is not a sequence raises while items are built; TRL must not see that.
    assert call(func, completions=["#### 1", "#### 2"], answer=object()) == [None, None]
