"""Throughput of /math over real HTTP beside the in-process reward function, in one run.

    python benchmarks/bench_math.py [--batch 1024] [--seconds 5] [--concurrency 2]

Items are GSM8K test golds with completions that are right, wrong or missing the answer (the
mix a GRPO group produces). Prints items/s for each and their ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
from pathlib import Path

import httpx

from reward_service.rewards.math import MathRewardTable, grade_math
from reward_service.testing import running_service

GSM8K_TEST = Path(__file__).resolve().parents[2] / "shared" / "data" / "gsm8k" / "test.jsonl"


def make_items(n: int, seed: int = 0) -> list[dict[str, str]]:
    rng = random.Random(seed)
    if GSM8K_TEST.exists():
        golds = [json.loads(line)["answer"] for line in GSM8K_TEST.open()]
    else:  # the shared data is optional; synthetic golds keep the benchmark runnable
        golds = [f"The total is {k} + 1.\n#### {k + 1:,}" for k in range(1000)]
    items = []
    for _ in range(n):
        gold = rng.choice(golds)
        final = gold.rpartition("####")[2].strip()
        reasoning = "<think>" + " ".join(["step"] * rng.randint(20, 80)) + "</think>\n"
        kind = rng.random()
        if kind < 0.4:
            completion = f"{reasoning}So the answer is\n#### {final}"
        elif kind < 0.8:
            completion = f"{reasoning}#### {rng.randint(0, 10_000)}"
        else:
            completion = reasoning + "I am not sure."
        items.append({"completion": completion, "answer": gold})
    return items


def bench_in_process(items: list[dict[str, str]], seconds: float) -> float:
    table = MathRewardTable()
    done = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        for item in items:
            table.reward(grade_math(item["completion"], item["answer"], "gsm8k").status)
        done += len(items)
    return done / (time.perf_counter() - start)


async def bench_http(url: str, body: bytes, batch: int, seconds: float, concurrency: int) -> float:
    headers = {"content-type": "application/json"}
    done = 0
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        # Warm up connections and caches.
        (await client.post("/math", content=body, headers=headers)).raise_for_status()
        start = time.perf_counter()

        async def worker() -> None:
            nonlocal done
            while time.perf_counter() - start < seconds:
                response = await client.post("/math", content=body, headers=headers)
                response.raise_for_status()
                assert len(response.json()["results"]) == batch
                done += batch

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return done / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batch", type=int, default=1024)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=2)
    args = parser.parse_args()

    items = make_items(args.batch)
    body = json.dumps({"items": items, "extract": "gsm8k"}).encode()
    print(f"batch of {args.batch} items, {len(body) / 1024:.0f} KiB per request")
    in_process = bench_in_process(items, args.seconds)
    print(f"in-process grade_math:        {in_process:>10,.0f} items/s")
    with running_service(REWARD_SANDBOX_BACKEND="none") as url:
        over_http = asyncio.run(bench_http(url, body, args.batch, args.seconds, args.concurrency))
    print(f"POST /math over HTTP:          {over_http:>10,.0f} items/s")
    print(f"HTTP / in-process:             {over_http / in_process:>10.2f}x")
    target = 50_000
    print(f"target >= {target:,} items/s over HTTP: {'met' if over_http >= target else 'MISSED'}")


if __name__ == "__main__":
    main()
