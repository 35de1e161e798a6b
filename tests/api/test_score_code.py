"""The `code` component of /score: beside math and format, without a sandbox, and for real."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from fastapi.testclient import TestClient

from reward_service.app import create_app
from reward_service.sandbox import Job, JobResult, ProgramTestResult
from tests.conftest import make_settings

ADD = "<think>add</think>\n```python\ndef add(a, b):\n    return a + b\n```"
SUB = "```python\ndef add(a, b):\n    return a - b\n```"
TESTS = ["assert add(1, 2) == 3", "assert add(0, 0) == 0"]


class PassingSandbox:
    """Isolates /score's wiring from Docker: every test passes; remembers the jobs."""

    def __init__(self) -> None:
        self.jobs: list[Job] = []

    async def run(self, jobs: Sequence[Job]) -> list[JobResult]:
        self.jobs.extend(jobs)
        return [JobResult(tests=[ProgramTestResult(status="passed")] * len(j.tests)) for j in jobs]

    async def aclose(self) -> None:
        pass


def test_code_without_a_sandbox_is_infra_error_not_a_5xx(client: TestClient) -> None:
    body = {"items": [{"completion": ADD, "tests": TESTS}], "components": {"code": 1, "format": 1}}
    response = client.post("/score", json=body)
    assert response.status_code == 200
    (result,) = response.json()["results"]
    assert result["reward"] is None
    assert result["components"]["code"]["status"] == "infra_error"
    assert "REWARD_SANDBOX_BACKEND" in result["components"]["code"]["detail"]
    assert result["components"]["format"]["reward"] == 0.2


def test_code_items_without_tests_are_item_errors_and_limits_are_passed_on() -> None:
    app = create_app(make_settings())
    with TestClient(app) as client:
        sandbox = PassingSandbox()
        app.state.sandbox = sandbox
        body = {
            "items": [
                {"completion": ADD},
                {"completion": ADD, "tests": TESTS},
                {"completion": "no code", "tests": TESTS},
            ],
            "components": {"code": 1.0, "format": 0.5},
            "limits": {"timeout_s": 2},
        }
        response = client.post("/score", json=body)
        app.state.sandbox = None
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert results[0]["reward"] is None
    assert results[0]["components"]["code"]["status"] == "error"
    assert "tests" in results[0]["components"]["code"]["detail"]
    assert results[1]["reward"] == pytest.approx(1.0 + 0.5 * 0.2)
    assert results[2]["reward"] == pytest.approx(-1.0)  # no_code
    assert len(sandbox.jobs) == 1 and sandbox.jobs[0].limits.timeout_s == 2


@pytest.mark.docker
def test_math_format_and_code_together_in_the_real_sandbox(docker_client: TestClient) -> None:
    body = {
        "items": [
            {"completion": ADD + "\n#### 3", "answer": 3, "tests": TESTS},
            {"completion": SUB + "\n#### 4", "answer": 3, "tests": TESTS},
            {
                "completion": ADD,
                "test": "def check(candidate):\n    assert candidate(2, 2) == 4\n",
                "entry_point": "add",
                "answer": 0,
            },
        ],
        "components": {"math": 1.0, "format": 1.0, "code": 2.0},
    }
    response = docker_client.post("/score", json=body)
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    codes = [
        (r["components"]["code"]["status"], r["components"]["code"]["reward"]) for r in results
    ]
    assert codes == [("passed", 1.0), ("failed", 0.5), ("passed", 1.0)]
    assert [r["reward"] for r in results] == [
        pytest.approx(1.0 + 0.2 + 2.0),
        pytest.approx(-0.5 + 0.0 + 1.0),
        pytest.approx(-1.0 + 0.2 + 2.0),
    ]
