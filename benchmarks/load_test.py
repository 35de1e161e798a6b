"""Load test: concurrent clients send mixed /math, /format and /code batches to a real service.

    python benchmarks/load_test.py [--clients 16] [--duration-s 60] [--batch 256] [--url URL]
                                   [--endpoints math,format,code]

Without `--url` it starts the service itself (`running_service`, Docker sandbox, loopback only)
and stops it afterwards. Each client sends batches for `--duration-s` seconds, then stops; every
item's result is known in advance (math answers right or wrong, format present or not, programs
that pass, fail or have no code, each distinct so the sandbox runs every one; a math item's
extracted number and a program's test count depend on its position), so a lost, reordered or
misscored item is caught. A 429 is honoured (Retry-After) and the same batch sent
again. A separate thread polls /healthz every `--healthz-every-s` seconds. Prints items/s and
p50/p99 latency per endpoint, the slowest /healthz and the 429 count; exits 1 when a check fails
(a 5xx, a wrong item, a /healthz slower than `--healthz-limit-ms`).

Left out: more than one machine, HTTP/2, and faults (tests/reliability/test_faults.py).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx

ENDPOINTS = ("math", "format", "code")
MAX_RETRY_AFTER_S = 5.0
DRAIN_TIMEOUT_S = 120.0  # how long clients may take to finish their last batch

Expected = dict[str, Any]  # fields a result must have, e.g. {"status": "passed", "reward": 1.0}
Batch = tuple[dict[str, Any], list[Expected]]  # a request body, and what each item must get


# --- batches whose every result is known --------------------------------------------------------


def math_batch(seed: int, size: int) -> Batch:
    items, expected = [], []
    for i in range(size):
        a, b = seed % 1000, i
        right = (seed + i) % 3 != 0
        answer = a + b if right else a + b + 1
        items.append({"completion": f"<think>{a}+{b}</think> #### {a + b}", "answer": answer})
        outcome = (
            {"status": "correct", "reward": 1.0} if right else {"status": "wrong", "reward": -0.5}
        )
        expected.append({**outcome, "extracted": str(a + b)})
    return {"items": items}, expected


def format_batch(seed: int, size: int) -> Batch:
    items, expected = [], []
    for i in range(size):
        ok = (seed + i) % 2 == 0
        text = f"<think>step {i}</think> #### {seed}" if ok else f"#### {seed} {i}"
        items.append({"completion": text})
        expected.append(
            {"status": "ok", "reward": 0.2} if ok else {"status": "missing", "reward": 0.0}
        )
    return {"items": items}, expected


def code_item(
    k: int, kind: str, sleep_s: float = 0.0, tests: int = 2
) -> tuple[dict[str, Any], Expected]:
    """A distinct program `f(x) = x + k` whose `tests` tests all pass (`passed`), all but the
    last pass (`failed`), or which has no code block (`no_code`)."""
    if kind == "no_code":
        no_code = {"status": "no_code", "reward": -1.0}
        return {"completion": "no idea", "tests": ["assert True"]}, no_code
    pause = f"    __import__('time').sleep({sleep_s})\n" if sleep_s else ""
    source = f"def f(x):\n{pause}    return x + {k}\n"
    asserts = [f"assert f({x}) == {x + k}" for x in range(1, tests)]
    asserts.append(f"assert f(0) == {k}" if kind == "passed" else f"assert f(0) == {k + 1}")
    passed = tests if kind == "passed" else tests - 1
    outcome = {"status": kind, "reward": passed / tests, "passed": passed, "total": tests}
    return {"completion": f"```python\n{source}```", "tests": asserts}, outcome


def code_batch(seed: int, size: int, sleep_s: float = 0.0) -> Batch:
    items, expected = [], []
    for i in range(size):
        kind = ("passed", "failed", "passed", "no_code")[i % 4]
        item, outcome = code_item(seed * 100_000 + i, kind, sleep_s, tests=2 + i % 3)
        items.append(item)
        expected.append(outcome)
    return {"items": items, "limits": {"timeout_s": 5}}, expected


BATCHES: dict[str, Callable[[int, int], Batch]] = {
    "math": math_batch,
    "format": format_batch,
    "code": code_batch,
}


def mismatches(results: list[Any], expected: list[Expected]) -> list[str]:
    """What differs from the expected results, item by item (empty: all as expected)."""
    if len(results) != len(expected):
        return [f"{len(results)} results for {len(expected)} items"]
    wrong = []
    for i, (result, fields) in enumerate(zip(results, expected, strict=True)):
        got = {key: result.get(key) for key in fields}
        if got != fields:
            wrong.append(f"item {i}: {got}, expected {fields}")
    return wrong


# --- the run -------------------------------------------------------------------------------------


@dataclass
class EndpointStats:
    latencies_s: list[float] = field(default_factory=list)
    items: int = 0
    rejected_429: int = 0
    server_errors: int = 0
    transport_errors: int = 0
    wrong: list[str] = field(default_factory=list)


@dataclass
class LoadReport:
    duration_s: float
    endpoints: dict[str, EndpointStats]
    healthz_s: list[float]
    healthz_failures: int

    def failures(self, healthz_limit_s: float) -> list[str]:
        found = []
        for name, stats in self.endpoints.items():
            if stats.server_errors or stats.transport_errors:
                found.append(f"/{name}: {stats.server_errors} 5xx, "
                             f"{stats.transport_errors} transport errors")  # fmt: skip
            found.extend(f"/{name} {w}" for w in stats.wrong[:5])
            if not stats.items:
                found.append(f"/{name}: no batch completed")
        if self.healthz_failures:
            found.append(f"/healthz failed {self.healthz_failures} times")
        if not self.healthz_s or max(self.healthz_s) >= healthz_limit_s:
            worst = max(self.healthz_s, default=float("inf")) * 1000
            found.append(f"/healthz max {worst:.1f} ms (limit {healthz_limit_s * 1000:.0f} ms)")
        return found

    def lines(self) -> Iterator[str]:
        yield "endpoint requests   items/s   p50 ms   p99 ms  429s"
        for name, s in self.endpoints.items():
            lat = sorted(s.latencies_s)
            p50 = percentile(lat, 0.50) * 1000
            p99 = percentile(lat, 0.99) * 1000
            rate = s.items / self.duration_s
            count, rejected = len(lat), s.rejected_429
            yield f"/{name:<7} {count:>8} {rate:>9.0f} {p50:>8.0f} {p99:>8.0f} {rejected:>5}"
        h = sorted(self.healthz_s)
        yield (f"/healthz {len(h)} polls: p50 {percentile(h, 0.5) * 1000:.1f} ms, "
               f"max {max(h, default=0.0) * 1000:.1f} ms")  # fmt: skip


def percentile(ordered: list[float], q: float) -> float:
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _client(
    http: httpx.AsyncClient,
    number: int,
    seeds: Iterator[int],
    stop_at: float,
    batch_size: int,
    stats: dict[str, EndpointStats],
) -> None:
    endpoints = list(stats)
    start = number % len(endpoints)  # clients start on different endpoints, then cycle
    for endpoint in itertools.islice(itertools.cycle(endpoints), start, None):
        if time.monotonic() >= stop_at:
            return
        body, expected = BATCHES[endpoint](next(seeds), batch_size)
        s = stats[endpoint]
        while True:  # bounded: a 429 is retried only until the run's end
            started = time.perf_counter()
            try:
                response = await http.post(f"/{endpoint}", json=body)
            except httpx.TransportError:
                s.transport_errors += 1
                break
            elapsed = time.perf_counter() - started
            if response.status_code == 429:
                s.rejected_429 += 1
                if time.monotonic() >= stop_at:
                    break  # the run is over: this batch is dropped, not lost
                delay = float(response.headers.get("retry-after", "1"))
                await asyncio.sleep(min(delay, MAX_RETRY_AFTER_S))
                continue
            if response.status_code >= 500:
                s.server_errors += 1
            elif response.status_code == 200:
                s.latencies_s.append(elapsed)
                s.items += batch_size
                s.wrong.extend(mismatches(response.json()["results"], expected))
            else:
                s.wrong.append(f"HTTP {response.status_code}: {response.text[:200]}")
            break


def _poll_healthz(url: str, every_s: float, stop: threading.Event, out: list[float]) -> int:
    """Times GET /healthz on its own connection and thread (the clients' loop can't delay it)."""
    failures = 0
    with httpx.Client(base_url=url, timeout=5) as http:
        while not stop.wait(every_s):
            started = time.perf_counter()
            try:
                ok = http.get("/healthz").status_code == 200
            except httpx.HTTPError:
                ok = False
            out.append(time.perf_counter() - started)
            failures += not ok
    return failures


async def run_load(
    url: str,
    clients: int = 16,
    duration_s: float = 60.0,
    batch_size: int = 256,
    healthz_every_s: float = 0.5,
    endpoints: tuple[str, ...] = ENDPOINTS,
) -> LoadReport:
    """Runs the load for `duration_s` (plus the last batches' time) and reports."""
    stats = {name: EndpointStats() for name in endpoints}
    healthz: list[float] = []
    stop = threading.Event()
    failures: list[int] = []
    poller = threading.Thread(
        target=lambda: failures.append(_poll_healthz(url, healthz_every_s, stop, healthz)),
        daemon=True,
    )
    seeds = itertools.count(1)
    started = time.monotonic()
    poller.start()
    try:
        limits = httpx.Limits(max_connections=clients)
        timeout = httpx.Timeout(DRAIN_TIMEOUT_S, connect=5.0)
        async with httpx.AsyncClient(base_url=url, limits=limits, timeout=timeout) as http:
            work = [
                _client(http, n, seeds, started + duration_s, batch_size, stats)
                for n in range(clients)
            ]
            await asyncio.wait_for(asyncio.gather(*work), duration_s + DRAIN_TIMEOUT_S)
    finally:
        stop.set()
        poller.join(timeout=10)
    elapsed = time.monotonic() - started
    return LoadReport(elapsed, stats, healthz, sum(failures))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--duration-s", type=float, default=60.0)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--healthz-every-s", type=float, default=0.5)
    parser.add_argument("--healthz-limit-ms", type=float, default=100.0)
    parser.add_argument("--url", help="an already running service (default: start one)")
    parser.add_argument("--endpoints", default=",".join(ENDPOINTS), help="which to load, cycled")
    args = parser.parse_args()
    endpoints = tuple(args.endpoints.split(","))
    if not endpoints or not set(endpoints) <= set(ENDPOINTS):
        parser.error(f"--endpoints: a comma-separated subset of {','.join(ENDPOINTS)}")

    def load(url: str) -> LoadReport:
        return asyncio.run(
            run_load(
                url, args.clients, args.duration_s, args.batch, args.healthz_every_s, endpoints
            )
        )

    if args.url:
        report = load(args.url)
    else:
        from reward_service.testing import running_service

        with running_service(
            REWARD_SANDBOX_BACKEND="docker", REWARD_SANDBOX_LANGUAGES="python"
        ) as url:
            report = load(url)
    print(f"{args.clients} clients, batches of {args.batch}, {report.duration_s:.1f} s")
    for line in report.lines():
        print(line)
    failed = report.failures(args.healthz_limit_ms / 1000)
    for problem in failed:
        print("FAIL:", problem)
    print("FAILED" if failed else "OK: no 5xx, no lost, reordered or misscored item")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
