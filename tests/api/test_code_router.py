"""POST /code: the HTTP contract, limit clamping, 503 without a sandbox, 429 on a full queue.

The first half uses the scripted backend through `create_app` (no Docker); the second half the
real Docker sandbox.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from reward_service.app import create_app
from reward_service.sandbox.fake import ScriptedSandbox
from tests.conftest import make_settings

ADD = "```python\ndef add(a, b):\n    return a + b\n```"


def test_503_says_how_to_enable_the_sandbox(client: TestClient) -> None:
    response = client.post("/code", json={"items": [{"completion": ADD, "tests": ["assert 1"]}]})
    assert response.status_code == 503
    assert "REWARD_SANDBOX_BACKEND" in response.json()["detail"]


def test_scripted_backend_over_http() -> None:
    sandbox = ScriptedSandbox()
    with TestClient(create_app(make_settings(), sandbox=sandbox)) as client:
        body = {
            "items": [{"completion": ADD, "tests": ["assert add(1, 2) == 3"]}],
            "limits": {"timeout_s": 999},
        }
        response = client.post("/code", json=body)
        assert response.status_code == 200, response.text
        (result,) = response.json()["results"]
        assert result == {
            "reward": 1.0,
            "status": "passed",
            "passed": 1,
            "total": 1,
            "tests": [{"status": "passed", "detail": None, "judged_in": None}],
            "detail": None,
        }
        assert sandbox.jobs[0].limits.timeout_s == 30.0  # the default maximum


def test_openapi_documents_code_with_an_example(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    operation = schema["paths"]["/code"]["post"]
    assert "503" in operation["responses"]
    request = schema["components"]["schemas"]["CodeRequest"]
    assert request["examples"][0]["items"]


def test_a_full_sandbox_queue_is_429_with_retry_after() -> None:
    sandbox = ScriptedSandbox(queued=5)
    with TestClient(
        create_app(make_settings(sandbox_max_queued_jobs=5), sandbox=sandbox)
    ) as client:
        response = client.post("/code", json={"items": [{"completion": ADD, "tests": ["1"]}]})
    assert response.status_code == 429 and response.headers["retry-after"] == "1"
    assert response.json()["error"] == "overloaded"
    assert sandbox.jobs == []  # refused before anything was queued


@pytest.mark.docker
def test_all_three_forms_in_one_batch(docker_client: TestClient) -> None:
    body = {
        "items": [
            {"completion": ADD, "tests": ["assert add(1, 2) == 3", "assert add(1, 2) == 4"]},
            {
                "completion": "```python\nprint(sum(map(int, input().split())))\n```",
                "tests": [{"stdin": "1 2\n", "stdout": "3"}, {"stdin": "2 2", "stdout": "5"}],
            },
            {
                "completion": "```python\ndef inc(x):\n    return x + 1\n```",
                "test": "def check(candidate):\n    assert candidate(1) == 2\n",
                "entry_point": "inc",
            },
            {"completion": "```python\ndef f(:\n```", "tests": ["assert f()"]},
            {"completion": "no code", "tests": ["assert 1"]},
        ]
    }
    response = docker_client.post("/code", json=body)
    assert response.status_code == 200, response.text
    got = [(r["status"], r["reward"], r["passed"], r["total"]) for r in response.json()["results"]]
    assert got == [
        ("failed", 0.5, 1, 2),
        ("failed", 0.5, 1, 2),
        ("passed", 1.0, 1, 1),
        ("error", -1.0, 0, 1),
        ("no_code", -1.0, 0, 1),
    ]


@pytest.mark.docker
def test_stdio_checkers_in_real_containers(docker_client: TestClient) -> None:
    def prints(text: str) -> str:
        return f"```python\nprint({text!r}, end='')\n```"

    spread = {"completion": prints("1  2\n3\n"), "tests": [{"stdin": "", "stdout": "1 2 3"}]}
    third = {
        "completion": "```python\nprint(1 / 3)\n```",
        "tests": [{"stdin": "", "stdout": "0.333333"}],
    }
    padded = {"completion": prints("0.3333333 0"), "tests": [{"stdin": "", "stdout": "0.333333"}]}
    items = [
        spread,  # lines (the default): the line breaks differ
        {**spread, "compare": "tokens"},
        third,  # lines: 0.3333333333333333 is not 0.333333
        {**third, "compare": "float"},  # within 1e-6
        {**third, "compare": "float", "abs_tol": 1e-9, "rel_tol": 0},
        {**padded, "compare": "float"},  # an extra token never passes
    ]
    response = docker_client.post("/code", json={"items": items})
    assert response.status_code == 200, response.text
    got = [r["status"] for r in response.json()["results"]]
    assert got == ["failed", "passed", "failed", "passed", "failed", "failed"]


def test_a_compare_rule_on_assert_tests_is_a_422() -> None:
    item = {"completion": ADD, "tests": ["assert add(1, 2) == 3"], "compare": "float"}
    with TestClient(create_app(make_settings(), sandbox=ScriptedSandbox())) as client:
        response = client.post("/code", json={"items": [item]})
    assert response.status_code == 422
    assert "compare` applies to stdin/stdout tests only" in response.text


@pytest.mark.docker
def test_requested_timeout_applies(docker_client: TestClient) -> None:
    slow = {
        "completion": "```python\nimport time\ntime.sleep(0.6)\n```",
        "tests": ["assert True"],
    }
    fast = docker_client.post("/code", json={"items": [slow], "limits": {"timeout_s": 0.3}})
    assert fast.json()["results"][0]["tests"][0]["status"] == "timeout"
    ok = docker_client.post("/code", json={"items": [slow], "limits": {"timeout_s": 3}})
    assert ok.json()["results"][0]["status"] == "passed"


@pytest.mark.docker
def test_healthz_reports_the_pool(docker_client: TestClient) -> None:
    code = docker_client.get("/healthz").json()["backends"]["code"]
    assert code["ready"] is True and code["pool_size"] == 2 and code["backend"] == "docker"
