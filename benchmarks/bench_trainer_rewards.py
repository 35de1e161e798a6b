"""What the trainer pays for rewards over HTTP: one GRPO batch scored by math + format.

    python benchmarks/bench_trainer_rewards.py [--batch 512] [--rounds 5] [--chunk-size 256]

Against a real service (subprocess, no Docker), for a batch of GSM8K-like completions:
- `async`: the two reward functions gathered concurrently, as TRL >= 0.27 runs them;
- `sync`: the same functions one after the other, as TRL < 0.27 (unsloth's pin) runs them;
- `one-chunk`: async with the whole batch in a single request per endpoint (no concurrency
  inside a call).
Prints the best-of-rounds milliseconds per batch and items/s for each.
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import json
import random
import time
from typing import Any

from reward_service.testing import running_service
from trainer.client import ClientConfig, RewardClient
from trainer.rewards import remote_format_reward, remote_math_reward


def batch(n: int, seed: int = 0) -> dict[str, list[Any]]:
    rng = random.Random(seed)
    completions, answers = [], []
    for _ in range(n):
        gold = rng.randrange(1000)
        shape = rng.choice(["<think>{t}</think> #### {a}", "#### {a}", "I think {a}", "{t}"])
        said = gold if rng.random() < 0.5 else gold + 1
        completions.append(shape.format(t="reasoning " * 40, a=said))
        answers.append(f"steps...\n#### {gold}")
    return {"completions": completions, "answer": answers}


async def score_once(funcs: list[Any], kwargs: dict[str, list[Any]]) -> None:
    coros = [f(**kwargs) for f in funcs if inspect.iscoroutinefunction(f)]
    for f in funcs:
        if not inspect.iscoroutinefunction(f):
            await asyncio.to_thread(f, **kwargs)  # sequential, like TRL's sync path
    await asyncio.gather(*coros)


def best_ms(funcs: list[Any], kwargs: dict[str, list[Any]], rounds: int) -> float:
    times = []
    for _ in range(rounds + 1):  # the first round warms up connections and caches
        start = time.perf_counter()
        asyncio.run(score_once(funcs, kwargs))
        times.append(time.perf_counter() - start)
    return 1000 * min(times[1:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batch", type=int, default=512)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--chunk-size", type=int, default=256)
    args = parser.parse_args()
    kwargs = batch(args.batch)
    results = {}
    with running_service(REWARD_SANDBOX_BACKEND="none") as url:
        client = RewardClient(ClientConfig(url=url, chunk_size=args.chunk_size))
        whole = client.with_options(chunk_size=max(1, args.batch))
        setups = {
            "async": [remote_math_reward(client, mode="async"), remote_format_reward(client)],
            "sync": [
                remote_math_reward(client, mode="sync"),
                remote_format_reward(client, mode="sync"),
            ],
            "one-chunk": [remote_math_reward(whole, mode="async"), remote_format_reward(whole)],
        }
        for name, funcs in setups.items():
            ms = best_ms(funcs, kwargs, args.rounds)
            results[name] = {
                "ms_per_batch": round(ms, 1),
                "items_per_s": round(args.batch / ms * 1000),
            }
    print(json.dumps({"batch": args.batch, "chunk_size": args.chunk_size, **results}, indent=2))


if __name__ == "__main__":
    main()
