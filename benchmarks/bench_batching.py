"""512 concurrent per-sample reward calls (verl's and OpenRLHF's calling pattern): coalesced by
`trainer.batching.MicroBatcher` versus one HTTP request each, side by side in one run.

    python benchmarks/bench_batching.py [--samples 512] [--rounds 3] [--in-flight 64]

A real service (subprocess, Docker sandbox) on loopback. Each sample is its own `async` call,
all started at once. "one request each" sends every sample as its own POST over one shared
keep-alive connection pool (the per-sample baseline at its best: OpenRLHF's client even opens a
session per request), at most `--in-flight` at a time (verl's SandboxFusion client defaults to
64; more would only meet the service's 429 bound); "coalesced" sends the same calls through
one MicroBatcher (5 ms window, 256 items). Math: GSM8K-style items to /math; code: 512 distinct
small programs with 3 asserts each to /code. Every result is checked.
Targets: >= 5x for math, >= 2x for code.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from reward_service.testing import running_service
from trainer.batching import MicroBatcher
from trainer.client import ClientConfig, RewardClient

Call = tuple[str, dict[str, Any], float]  # endpoint, item, expected reward


def math_calls(n: int) -> list[Call]:
    return [
        ("math", {"completion": f"<think>...</think> #### {k}", "answer": str(k)}, 1.0)
        for k in range(n)
    ]


def code_calls(n: int) -> list[Call]:
    calls = []
    for k in range(n):
        program = f"```python\ndef f(x):\n    return x * {k % 7 + 1} + {k}\n```"
        tests = [f"assert f({x}) == {x * (k % 7 + 1) + k}" for x in (0, 1, 5)]
        calls.append(("code", {"completion": program, "tests": tests}, 1.0))
    return calls


async def timed(calls: list[Call], score: Callable[[str, dict[str, Any]], Awaitable[Any]]) -> float:
    start = time.perf_counter()
    results = await asyncio.gather(*(score(endpoint, item) for endpoint, item, _ in calls))
    elapsed = time.perf_counter() - start
    wrong = [
        r for r, (_, _, want) in zip(results, calls, strict=True) if not r or r["reward"] != want
    ]
    assert not wrong, f"{len(wrong)} results wrong or missing, e.g. {wrong[:1]}"
    return elapsed


async def one_each(url: str, calls: list[Call], in_flight: int) -> float:
    """The per-sample baseline at its best: one shared keep-alive connection pool."""
    gate = asyncio.Semaphore(in_flight)
    limits = httpx.Limits(max_connections=in_flight, max_keepalive_connections=in_flight)
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as http:

        async def score(endpoint: str, item: dict[str, Any]) -> Any:
            async with gate:
                response = await http.post(f"/{endpoint}", json={"items": [item]})
                response.raise_for_status()
                return response.json()["results"][0]

        return await timed(calls, score)


async def coalesced(client: RewardClient, calls: list[Call]) -> float:
    batcher = MicroBatcher(client, max_wait_ms=5, max_items=256)

    async def score(endpoint: str, item: dict[str, Any]) -> Any:
        return await batcher.score(endpoint, item, retry_read_timeouts=endpoint != "code")

    return await timed(calls, score)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=512)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--in-flight", type=int, default=64)
    args = parser.parse_args()
    met = True
    with running_service(REWARD_SANDBOX_BACKEND="docker", REWARD_SANDBOX_LANGUAGES="python") as url:
        client = RewardClient(ClientConfig(url=url, max_concurrency=8))
        for name, calls, target in (
            ("math", math_calls(args.samples), 5.0),
            ("code", code_calls(args.samples), 2.0),
        ):
            asyncio.run(coalesced(client, calls))  # warm-up (containers, connections)
            each = min(
                asyncio.run(one_each(url, calls, args.in_flight)) for _ in range(args.rounds)
            )
            batched = min(asyncio.run(coalesced(client, calls)) for _ in range(args.rounds))
            ratio = each / batched
            met = met and ratio >= target
            print(f"{name}: {args.samples} concurrent per-sample calls (best of {args.rounds})")
            print(
                f"  one request each ({args.in_flight} in flight): "
                f"{args.samples / each:9.1f} samples/s"
            )
            print(
                f"  coalesced by MicroBatcher:             {args.samples / batched:9.1f} samples/s"
            )
            print(f"  coalesced / one each: {ratio:6.2f}x (target >= {target:g}x)")
    print("targets " + ("met" if met else "MISSED"))


if __name__ == "__main__":
    main()
