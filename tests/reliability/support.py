"""Helpers for the reliability tests: read Prometheus samples, wait for a condition."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
from prometheus_client.parser import text_string_to_metric_families


def sample(url: str, name: str, **labels: str) -> float:
    """One sample's value from /metrics (0.0 when absent, as for a counter never touched)."""
    text = httpx.get(f"{url}/metrics", timeout=5).text
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return float(s.value)
    return 0.0


def wait_for(condition: Callable[[], bool], timeout_s: float, every_s: float = 0.05) -> float:
    """Seconds until `condition()` held; AssertionError after `timeout_s`."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout_s:
            raise AssertionError(f"condition not met within {timeout_s} s")
        time.sleep(every_s)
    return time.monotonic() - started


def code_health(url: str) -> dict[str, object]:
    body: dict[str, object] = httpx.get(f"{url}/healthz", timeout=5).json()["backends"]["code"]
    return body
