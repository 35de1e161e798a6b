"""Prometheus metrics, one registry per app (two apps in one process never collide)."""

from __future__ import annotations

from collections.abc import Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

_LATENCY_BUCKETS_S = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)


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
        self.in_flight = Gauge(
            "reward_requests_in_flight", "Requests being handled now.", registry=self.registry
        )

    def count_items(self, endpoint: str, tally: Mapping[str, int]) -> None:
        # One counter update per distinct status, not per item (hot path).
        for status, n in tally.items():
            self.items.labels(endpoint, status).inc(n)

    def render(self) -> bytes:
        return generate_latest(self.registry)
