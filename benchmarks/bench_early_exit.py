"""Early exits on a GRPO batch where most programs fail: the CPU /code spends on it with and
without `stop_on_first_failure`, side by side.

    python benchmarks/bench_early_exit.py [--rounds 3] [--timeout-s 1]

Two batches of 64 programs x 10 asserts (benchmarks/grpo_batches.py), 20% of them correct and the
rest failing from their first test: one where every failure is a wrong answer, and a GRPO mix
(failures: 60% wrong answers, 25% exceptions, 15% endless loops). Each runs as it is, with
`stop_on_first_failure`, and with it and a `deadline_s` of 3 s; the six take turns round by round
against one real service (uvicorn subprocess, Docker sandbox, no container recycling). Prints
the CPU the service and its containers used per batch (mean of `--rounds`), the wall time, and
the CPU saved; checks that every program gets the same all-tests-passed verdict either way (the
binary reward an early exit leaves unchanged). Target: at least half the CPU saved.
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

import httpx

from reward_service.testing import running_service

try:
    from benchmarks.cpu import CpuMeter, service_pid
    from benchmarks.grpo_batches import failing_items
except ModuleNotFoundError:  # run as `python benchmarks/bench_early_exit.py`
    from cpu import CpuMeter, service_pid  # type: ignore[no-redef]
    from grpo_batches import failing_items  # type: ignore[no-redef]

MIX = {"wrong answer": 0.6, "exception": 0.25, "endless loop": 0.15}
MODES: dict[str, dict[str, Any]] = {
    "every test": {},
    "stop_on_first_failure": {"stop_on_first_failure": True},
    "stop + deadline_s 3": {"stop_on_first_failure": True, "deadline_s": 3.0},
}


def run(client: httpx.Client, items: list[dict[str, Any]], timeout_s: float) -> list[bool]:
    body = {"items": items, "limits": {"timeout_s": timeout_s}}
    response = client.post("/code", json=body)
    response.raise_for_status()
    return [result["status"] == "passed" for result in response.json()["results"]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--timeout-s", type=float, default=1.0)
    args = parser.parse_args()
    batches = {"wrong answers": failing_items(), "GRPO mix": failing_items(mix=MIX)}
    env = {"REWARD_SANDBOX_BACKEND": "docker", "REWARD_SANDBOX_LANGUAGES": "python"}
    env["REWARD_SANDBOX_JOBS_PER_CONTAINER"] = "1000000"  # a recycle would take its CPU along
    cpu: dict[tuple[str, str], list[float]] = {}
    wall: dict[tuple[str, str], list[float]] = {}
    with running_service(180, **env) as url, httpx.Client(base_url=url, timeout=900) as client:
        meter = CpuMeter(url, service_pid(int(url.rsplit(":", 1)[1])))
        for batch, items in batches.items():  # warm-up, and the verdicts to keep
            verdicts = run(client, items, args.timeout_s)
            for mode, fields in MODES.items():
                early = run(client, [{**item, **fields} for item in items], args.timeout_s)
                assert early == verdicts, f"{batch}, {mode}: a program's verdict changed"
        for _ in range(args.rounds):
            for batch, items in batches.items():
                for mode, fields in MODES.items():
                    meter.start()
                    started = time.perf_counter()
                    run(client, [{**item, **fields} for item in items], args.timeout_s)
                    wall.setdefault((batch, mode), []).append(time.perf_counter() - started)
                    service, containers = meter.stop()
                    cpu.setdefault((batch, mode), []).append(service + containers)
    print(f"64 programs x 10 asserts, 80% failing from the first test; timeout_s {args.timeout_s}")
    print(f"{'batch':<14} {'mode':<22} {'CPU s':>7} {'wall s':>7} {'CPU saved':>10}")
    for batch in batches:
        base = statistics.mean(cpu[batch, "every test"])
        for mode in MODES:
            spent = statistics.mean(cpu[batch, mode])
            seconds = statistics.mean(wall[batch, mode])
            print(f"{batch:<14} {mode:<22} {spent:7.2f} {seconds:7.2f} {1 - spent / base:10.0%}")


if __name__ == "__main__":
    main()
