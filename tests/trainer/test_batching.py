"""The micro-batcher against the real reward service (uvicorn in a subprocess, real HTTP): per-
sample calls come back as their own results, in far fewer requests."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.trainer.trainer_servers import free_port, reward_service_process
from trainer.batching import MicroBatcher
from trainer.client import ClientConfig, RewardClient


@pytest.fixture(scope="module")
def service_url() -> Iterator[str]:
    with reward_service_process() as url:
        yield url


def requests_seen(url: str, path: str) -> int:
    text = httpx.get(f"{url}/metrics", timeout=5).text
    return int(
        sum(
            float(line.rsplit(" ", 1)[1])
            for line in text.splitlines()
            if line.startswith("reward_requests_total{") and f'path="{path}"' in line
        )
    )


WRONG = -0.5  # the service's default math reward for a wrong answer


def math_item(k: int) -> dict[str, Any]:
    # every third answer is wrong, so results can be told apart per caller
    return {"completion": f"#### {k if k % 3 else k + 1}", "answer": str(k)}


def client_for(url: str, **changes: Any) -> RewardClient:
    settings: dict[str, Any] = {"max_retries": 1, "backoff_max_s": 0.05, **changes}
    return RewardClient(ClientConfig(url=url, **settings))


def test_concurrent_calls_are_coalesced_and_each_gets_its_own_result(service_url: str) -> None:
    batcher = MicroBatcher(client_for(service_url), max_wait_ms=20, max_items=64)
    before = requests_seen(service_url, "/math")

    async def run() -> list[Any]:
        return await asyncio.gather(*(batcher.score("math", math_item(k)) for k in range(200)))

    results = asyncio.run(run())
    assert [r["reward"] for r in results] == [WRONG if k % 3 == 0 else 1.0 for k in range(200)]
    assert batcher.items_sent == 200 and batcher.batches_sent == 4  # 64 + 64 + 64 + 8
    assert requests_seen(service_url, "/math") - before == 4


def test_different_options_are_different_batches(service_url: str) -> None:
    batcher = MicroBatcher(client_for(service_url), max_wait_ms=20)

    async def run() -> list[Any]:
        strict = [batcher.score("math", math_item(k), {"extract": "gsm8k"}) for k in range(1, 5)]
        loose = [batcher.score("math", math_item(k), {"extract": "flexible"}) for k in range(1, 5)]
        fmt = [batcher.score("format", {"completion": "<think>a</think>b"}) for _ in range(3)]
        return await asyncio.gather(*strict, *loose, *fmt)

    results = asyncio.run(run())
    assert len(results) == 11 and all(r is not None for r in results)
    assert batcher.batches_sent == 3


def test_an_unscorable_item_is_none_for_its_caller_only(service_url: str) -> None:
    batcher = MicroBatcher(client_for(service_url), max_wait_ms=20)

    async def run() -> list[Any]:
        bad = {"completion": 7, "answer": "1"}  # not a string: the service refuses it (422)
        calls = [batcher.score("math", math_item(k)) for k in range(1, 6)]
        calls.insert(2, batcher.score("math", bad))
        return await asyncio.gather(*calls)

    results = asyncio.run(run())
    assert results[2] is None
    assert [r["reward"] for i, r in enumerate(results) if i != 2] == [1.0, 1.0, WRONG, 1.0, 1.0]


def test_a_cancelled_caller_does_not_disturb_the_others(service_url: str) -> None:
    batcher = MicroBatcher(client_for(service_url), max_wait_ms=50)

    async def run() -> list[Any]:
        tasks = [asyncio.create_task(batcher.score("math", math_item(k))) for k in range(1, 5)]
        await asyncio.sleep(0.01)
        tasks[1].cancel()
        return await asyncio.gather(*tasks, return_exceptions=True)

    results = asyncio.run(run())
    assert isinstance(results[1], asyncio.CancelledError)
    assert [r["reward"] for i, r in enumerate(results) if i != 1] == [1.0, WRONG, 1.0]


def test_sync_callers_in_threads_are_coalesced(service_url: str) -> None:
    batcher = MicroBatcher(client_for(service_url), max_wait_ms=50)
    results: dict[int, Any] = {}

    def worker(k: int) -> None:
        results[k] = batcher.score_sync("math", math_item(k))

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(1, 33)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    batcher.close()
    assert [results[k]["reward"] for k in range(1, 33)] == [
        WRONG if k % 3 == 0 else 1.0 for k in range(1, 33)
    ]
    assert batcher.batches_sent <= 4  # 32 threads, a 50 ms window: a few batches, not 32


def test_a_service_that_is_not_there_gives_none_to_every_caller() -> None:
    batcher = MicroBatcher(client_for(f"http://127.0.0.1:{free_port()}", max_retries=0))

    async def run() -> list[Any]:
        return await asyncio.gather(*(batcher.score("math", math_item(k)) for k in range(5)))

    assert asyncio.run(run()) == [None] * 5


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="max_items"):
        MicroBatcher(client_for("http://127.0.0.1:1"), max_items=0)
