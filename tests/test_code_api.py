"""POST /code: the contract, the reward table, limit clamping, 503 without a sandbox.

The first half runs against a recording fake backend (no Docker); the second half against the
real Docker sandbox.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from fastapi.testclient import TestClient

from reward_service.api.code import resolve_limits
from reward_service.api.schemas import CodeLimits
from reward_service.app import create_app
from reward_service.rewards.code import CodeItem, build_job, extract_program, score_code_items
from reward_service.sandbox import Job, JobResult, ProgramTestResult, SandboxLimits
from tests.conftest import make_settings

ADD = "```python\ndef add(a, b):\n    return a + b\n```"


class FakeSandbox:
    """Passes every test, or fails as told; records the jobs it was given."""

    def __init__(self, result: JobResult | None = None) -> None:
        self.jobs: list[Job] = []
        self.result = result

    async def run(self, jobs: Sequence[Job]) -> list[JobResult]:
        self.jobs.extend(jobs)
        passed = [ProgramTestResult(status="passed")]
        return [self.result or JobResult(tests=passed * len(j.tests)) for j in jobs]

    async def aclose(self) -> None:
        pass


# --- pure pieces -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("completion", "program"),
    [
        ("```python\na = 1\n```", "a = 1\n"),
        ("```py\na = 1\n```", "a = 1\n"),
        ("```\na = 1\n```", "a = 1\n"),
        ("x\n```python\na = 1\n```\ntext\n```python\nb = 2\n```\nbye", "b = 2\n"),
        ("```python\na = 1\n```\n```bash\nls\n```", "a = 1\n"),  # other languages skipped
        ("no code at all", None),
        ("```python\nunterminated", None),
        ("inline ```python x``` only", None),
    ],
)
def test_extract_program_takes_the_last_python_block(completion: str, program: str | None) -> None:
    assert extract_program(completion) == program


def test_three_test_forms_become_jobs() -> None:
    limits = SandboxLimits()
    asserts = CodeItem(completion=ADD, tests=["assert add(1, 2) == 3"], setup="import math")
    (test,) = build_job(asserts, "p", limits).tests
    assert test.code == "import math\nassert add(1, 2) == 3\n"
    stdio = CodeItem.model_validate({"completion": ADD, "tests": [{"stdin": "1", "stdout": "2"}]})
    (test,) = build_job(stdio, "p", limits).tests
    assert (test.stdin, test.stdout, test.code) == ("1", "2", None)
    humaneval = CodeItem(completion=ADD, test="def check(c):\n    pass", entry_point="add")
    (test,) = build_job(humaneval, "p", limits).tests
    assert test.code is not None and test.code.rstrip().endswith("check(add)")


@pytest.mark.parametrize(
    "body",
    [
        {"completion": ADD},  # no tests
        {"completion": ADD, "tests": []},
        {"completion": ADD, "tests": ["assert 1"], "test": "def check(c): pass"},
        {"completion": ADD, "test": "def check(c): pass"},  # no entry_point
        {"completion": ADD, "tests": [{"stdin": "1", "stdout": "1"}], "setup": "x = 1"},
        {"completion": ADD, "tests": ["assert 1", {"stdin": "", "stdout": ""}]},
    ],
)
def test_items_need_exactly_one_test_form(body: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        CodeItem.model_validate(body)


async def test_reward_table() -> None:
    item = CodeItem(completion=ADD, tests=["assert 1", "assert 1", "assert 1"])
    no_code = CodeItem(completion="sorry", tests=["assert 1"])
    mixed = JobResult(
        tests=[
            ProgramTestResult(status="passed"),
            ProgramTestResult(status="timeout"),
            ProgramTestResult(status="passed"),
        ]
    )
    load = JobResult(tests=[ProgramTestResult(status="runtime_error", phase="load")] * 3)
    infra = JobResult.infra("daemon gone")
    cases = [(mixed, "failed", 2 / 3), (load, "error", -1.0), (infra, "infra_error", None)]
    for result, status, reward in cases:
        sandbox = FakeSandbox(result)
        (scored, missing) = await score_code_items(sandbox, [item, no_code], SandboxLimits())
        assert (scored.status, scored.reward, scored.total) == (status, reward, 3)
        assert (missing.status, missing.reward) == ("no_code", -1.0)
        assert len(sandbox.jobs) == 1  # the item without code never reaches the sandbox


async def test_a_raising_backend_gives_infra_errors_not_scores() -> None:
    class Broken(FakeSandbox):
        async def run(self, jobs: Sequence[Job]) -> list[JobResult]:
            raise RuntimeError("bug")

    item = CodeItem(completion=ADD, tests=["assert 1"])
    (result,) = await score_code_items(Broken(), [item], SandboxLimits())
    assert (result.status, result.reward) == ("infra_error", None)


def test_limits_are_clamped_to_the_server_maxima() -> None:
    settings = make_settings(sandbox_max_timeout_s=10, sandbox_max_memory_mb=512)
    limits = resolve_limits(settings, CodeLimits(timeout_s=1000, memory_mb=100_000))
    assert (limits.timeout_s, limits.memory_mb) == (10, 512)
    defaults = resolve_limits(settings, None)
    assert (defaults.timeout_s, defaults.memory_mb) == (5.0, 256)


# --- over HTTP ---------------------------------------------------------------------------


def test_503_says_how_to_enable_the_sandbox(client: TestClient) -> None:
    response = client.post("/code", json={"items": [{"completion": ADD, "tests": ["assert 1"]}]})
    assert response.status_code == 503
    assert "REWARD_SANDBOX_BACKEND" in response.json()["detail"]


def test_fake_backend_over_http() -> None:
    app = create_app(make_settings())
    with TestClient(app) as client:
        app.state.sandbox = FakeSandbox()
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
            "tests": [{"status": "passed", "detail": None}],
            "detail": None,
        }
        assert app.state.sandbox.jobs[0].limits.timeout_s == 30.0  # the default maximum
        app.state.sandbox = None


def test_openapi_documents_code_with_an_example(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    operation = schema["paths"]["/code"]["post"]
    assert "503" in operation["responses"]
    request = schema["components"]["schemas"]["CodeRequest"]
    assert request["examples"][0]["items"]


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


def test_app_starts_without_a_usable_sandbox_and_says_why() -> None:
    # a missing image (or no Docker at all): the service still serves /math, /code answers 503
    settings = make_settings(sandbox_backend="docker", sandbox_image="reward-sandbox-missing:none")
    with TestClient(create_app(settings)) as client:
        response = client.post("/code", json={"items": [{"completion": ADD, "tests": ["1"]}]})
        assert response.status_code == 503
        assert "did not start" in response.json()["detail"]
        assert client.get("/healthz").json()["backends"]["code"]["ready"] is False
        math = client.post("/math", json={"items": [{"completion": "#### 4", "answer": "4"}]})
        assert math.status_code == 200
