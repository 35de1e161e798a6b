"""Prometheus metrics, one registry per app (two apps in one process never collide).

Requests and scored items are counted as they happen. The sandbox reports its events through
the `SandboxObserver` methods below (waits, run times, recycled containers); its gauges (queue
depth, pool size, busy and idle containers) are set from its `health()` at scrape time, so the
pool keeps no reference to this module.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import get_args

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from reward_service.sandbox.base import RecycleReason, SandboxHealth

_LATENCY_BUCKETS_S = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
# the sandbox pool's numbers in SandboxHealth, exported as gauges: (field, metric name, help)
_SANDBOX_GAUGES = (
    ("queued", "reward_sandbox_queued_jobs", "Sandbox jobs waiting for a container."),
    ("busy", "reward_sandbox_busy_containers", "Containers running a job now."),
    ("idle", "reward_sandbox_idle_containers", "Containers waiting for a job."),
    ("pool_size", "reward_sandbox_containers", "Healthy containers in the pool."),
    ("pool_target", "reward_sandbox_containers_target", "Containers the pool aims for."),
)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "reward_requests",
            "HTTP requests by path and status code.",
            ["path", "code"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "reward_request_seconds",
            "Request latency by path.",
            ["path"],
            buckets=_LATENCY_BUCKETS_S,
            registry=self.registry,
        )
        self.items = Counter(
            "reward_items",
            "Scored items by endpoint and item status.",
            ["endpoint", "status"],
            registry=self.registry,
        )
        self.code_tests = Counter(
            "reward_code_tests",
            "Code tests run, by where they were judged: `outside` the program (plain data over the"
            " bridge, or compared stdout) or `inside` its interpreter (tests that need the"
            " program's objects, or `judge_in: inside`).",
            ["judged_in"],
            registry=self.registry,
        )
        self.in_flight = Gauge(
            "reward_requests_in_flight", "Requests being handled now.", registry=self.registry
        )

        self.sandbox_ready = Gauge(
            "reward_sandbox_ready", "1 when the code sandbox can run jobs.", registry=self.registry
        )
        self.sandbox_gauges = {
            key: Gauge(name, text, registry=self.registry) for key, name, text in _SANDBOX_GAUGES
        }
        self.sandbox_wait = Histogram(
            "reward_sandbox_wait_seconds",
            "Time a sandbox job waited for a container.",
            buckets=_LATENCY_BUCKETS_S,
            registry=self.registry,
        )
        self.sandbox_run = Histogram(
            "reward_sandbox_job_seconds",
            "Time one sandbox job (a program and its tests) ran in its container.",
            buckets=_LATENCY_BUCKETS_S,
            registry=self.registry,
        )
        self.sandbox_compile = Histogram(
            "reward_sandbox_compile_seconds",
            "Time a compiled language's job spent compiling, by language.",
            ["language"],
            buckets=_LATENCY_BUCKETS_S,
            registry=self.registry,
        )
        self.sandbox_recycles = Counter(
            "reward_sandbox_recycles",
            f"Containers that left the pool, by reason ({', '.join(get_args(RecycleReason))}).",
            ["reason"],
            registry=self.registry,
        )

    def count_items(self, endpoint: str, tally: Mapping[str, int]) -> None:
        # One counter update per distinct status, not per item (hot path).
        for status, n in tally.items():
            self.items.labels(endpoint, status).inc(n)

    def count_code_tests(self, tally: Mapping[str, int]) -> None:
        for judged_in, n in tally.items():
            self.code_tests.labels(judged_in).inc(n)

    # --- the SandboxObserver protocol (reward_service.sandbox.base) ----------------------

    def job_waited(self, seconds: float) -> None:
        self.sandbox_wait.observe(seconds)

    def job_ran(self, seconds: float) -> None:
        self.sandbox_run.observe(seconds)

    def job_compiled(self, language: str, seconds: float) -> None:
        self.sandbox_compile.labels(language).observe(seconds)

    def container_recycled(self, reason: RecycleReason) -> None:
        self.sandbox_recycles.labels(reason).inc()

    def set_sandbox_gauges(self, health: SandboxHealth) -> None:
        self.sandbox_ready.set(1 if health.ready else 0)
        for field, gauge in self.sandbox_gauges.items():
            gauge.set(float(getattr(health, field)))

    def render(self) -> bytes:
        return generate_latest(self.registry)
