"""POST /score: components combined as a weighted sum; the code component with the scripted
sandbox (through `create_app`), without any sandbox, and with the real one."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from reward_service.app import create_app
from reward_service.sandbox.fake import ScriptedSandbox
from tests.api.support import post
from tests.conftest import make_settings

ADD = "<think>add</think>\n```python\ndef add(a, b):\n    return a + b\n```"
SUB = "```python\ndef add(a, b):\n    return a - b\n```"
TESTS = ["assert add(1, 2) == 3", "assert add(0, 0) == 0"]


def test_score_combines_math_and_format_by_default(client: TestClient) -> None:
    results = post(
        client,
        "/score",
        {
            "items": [
                {"completion": "<think>x</think> #### 18", "answer": "18"},
                {"completion": "#### 17", "answer": "18"},
                {"completion": "<think>x</think> #### 18", "answer": "n/a"},
            ]
        },
    )
    assert [r["reward"] for r in results] == [pytest.approx(1.2), -0.5, None]
    assert results[0]["components"]["math"]["status"] == "correct"
    assert results[0]["components"]["format"] == {"reward": 0.2, "status": "ok"}
    # The math part could not be graded, so the sum is null rather than a made-up number.
    assert results[2]["components"]["math"]["status"] == "error"


def test_score_weights_and_single_component(client: TestClient) -> None:
    item = {"completion": "<think>x</think> #### 18", "answer": 18}
    weighted = post(client, "/score", {"items": [item], "components": {"math": 2, "format": 0.5}})
    assert weighted[0]["reward"] == pytest.approx(2.1)
    fmt_only = post(
        client,
        "/score",
        {"items": [{"completion": "<think>x</think>"}], "components": {"format": 1}},
    )
    assert fmt_only[0]["reward"] == pytest.approx(0.2)
    assert fmt_only[0]["components"]["math"] is None


def test_score_math_without_answer_is_a_null_item_not_a_failed_batch(client: TestClient) -> None:
    results = post(
        client,
        "/score",
        {"items": [{"completion": "#### 1"}, {"completion": "#### 1", "answer": 1}]},
    )
    assert results[0]["reward"] is None
    assert "no `answer`" in results[0]["components"]["math"]["error"]
    assert results[1]["reward"] == pytest.approx(1.0)


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
    sandbox = ScriptedSandbox()
    with TestClient(create_app(make_settings(), sandbox=sandbox)) as client:
        body = {
            "items": [
                {"completion": ADD},
                {"completion": ADD, "tests": TESTS},
                {"completion": "no code", "tests": TESTS},
                {"completion": ADD, "tests": []},
            ],
            "components": {"code": 1.0, "format": 0.5},
            "limits": {"timeout_s": 2},
        }
        response = client.post("/score", json=body)
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert results[0]["reward"] is None
    assert results[0]["components"]["code"]["status"] == "error"
    assert "tests" in results[0]["components"]["code"]["detail"]
    assert results[1]["reward"] == pytest.approx(1.0 + 0.5 * 0.2)
    assert results[2]["reward"] == pytest.approx(-1.0)  # no_code
    assert results[3]["components"]["code"]["status"] == "error"  # empty tests: that item only
    assert len(sandbox.jobs) == 1 and sandbox.jobs[0].limits.timeout_s == 2


def test_a_full_sandbox_queue_is_429_before_any_work() -> None:
    sandbox = ScriptedSandbox(queued=10)
    settings = make_settings(sandbox_max_queued_jobs=10)
    with TestClient(create_app(settings, sandbox=sandbox)) as client:
        code = {"items": [{"completion": ADD, "tests": TESTS}], "components": {"code": 1.0}}
        rejected = client.post("/score", json=code)
        maths = {"items": [{"completion": "#### 1", "answer": 1}], "components": {"math": 1.0}}
        served = client.post("/score", json=maths)  # no code component: no queue to wait in
    assert rejected.status_code == 429 and rejected.headers["retry-after"] == "1"
    assert "REWARD_SANDBOX_MAX_QUEUED_JOBS" in rejected.json()["detail"]
    assert served.status_code == 200
    assert sandbox.jobs == []


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
