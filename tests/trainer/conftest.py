"""Fixtures for the trainer tests: the real reward service in a subprocess."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.trainer.trainer_servers import reward_service_process


@pytest.fixture(scope="session")
def service_url() -> Iterator[str]:
    """`python -m reward_service` without Docker (`REWARD_SANDBOX_BACKEND=none`)."""
    with reward_service_process() as url:
        yield url
