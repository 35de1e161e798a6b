"""Property-based fuzzing of the OpenAPI schema against a live server: zero 5xx (CI-sized run).

schemathesis generates valid and invalid bodies for every operation from /openapi.json; the
check that matters here is `not_a_server_error`, plus conformance of responses to the schema.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, settings  # noqa: E402

from reward_service.testing import running_service  # noqa: E402


@pytest.fixture(scope="module")
def live_schema() -> Iterator[object]:
    # Small budgets keep generated `latex` items quick. /code is fuzzed against a real sandbox in
    # tests/test_code_fuzz.py; here, without one, /score's code part must be a null, not a 5xx
    # (/openrlhf/code answers 503 without a sandbox, as /code does).
    with running_service(
        REWARD_SANDBOX_BACKEND="none", REWARD_LATEX_TIMEOUT_S="1", REWARD_MAX_BATCH_ITEMS="64"
    ) as url:
        yield schemathesis.openapi.from_url(f"{url}/openapi.json")


schema = schemathesis.pytest.from_fixture("live_schema")


@schema.exclude(path=["/code", "/openrlhf/code"]).parametrize()
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_server_errors_and_schema_conformance(case: object) -> None:
    # Every check but "schema-valid data is accepted": some rules (e.g. at least one /score
    # component, one test form per code item) are not expressible in JSON schema and get a 422.
    case.call_and_validate(  # type: ignore[attr-defined]
        excluded_checks=[schemathesis.checks.positive_data_acceptance]
    )
