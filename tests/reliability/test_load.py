"""The load test (benchmarks/load_test.py), CI-sized: fewer clients for ~10 s against a real
service with the Docker sandbox and a small sandbox queue, so 429 + Retry-After is exercised."""

from __future__ import annotations

import logging

import pytest

from benchmarks.load_test import run_load
from reward_service.testing import running_service
from tests.docker_support import require_docker

pytestmark = [pytest.mark.docker, pytest.mark.slow]

logger = logging.getLogger(__name__)


async def test_mixed_load_loses_nothing_and_healthz_stays_fast() -> None:
    require_docker()
    env = {"REWARD_SANDBOX_BACKEND": "docker", "REWARD_SANDBOX_MAX_QUEUED_JOBS": "256"}
    with running_service(**env) as url:
        report = await run_load(url, clients=6, duration_s=10, batch_size=256)
    for line in report.lines():
        logger.warning("%s", line)
    assert report.failures(healthz_limit_s=0.1) == []
    assert all(stats.items > 0 for stats in report.endpoints.values())
