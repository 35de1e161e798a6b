"""Property-based fuzzing of POST /code against a live service with the Docker sandbox: whatever
the body, no 5xx, and every response matches the OpenAPI schema.

`positive_data_acceptance` is left out: "exactly one test form per item" is checked by the
model, not expressed in JSON Schema, so schema-valid bodies may rightly get a 422."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from reward_service.testing import running_service
from tests.docker_support import docker_problem

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis.checks import positive_data_acceptance  # noqa: E402

pytestmark = [pytest.mark.docker, pytest.mark.slow]


@pytest.fixture(scope="module")
def code_schema() -> Iterator[object]:
    problem = docker_problem()
    if problem is not None:
        pytest.skip(problem)
    # a short timeout clamp keeps generated programs (mostly garbage) quick
    with running_service(
        REWARD_SANDBOX_BACKEND="docker",
        REWARD_SANDBOX_MAX_TIMEOUT_S="1",
        REWARD_MAX_BATCH_ITEMS="16",
    ) as url:
        yield schemathesis.openapi.from_url(f"{url}/openapi.json")


schema = schemathesis.pytest.from_fixture("code_schema")


@schema.include(path="/code").parametrize()
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_code_never_answers_5xx(case: object) -> None:
    case.call_and_validate(excluded_checks=[positive_data_acceptance])  # type: ignore[attr-defined]
