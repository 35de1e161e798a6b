"""The assembled app: every endpoint answers an empty batch and documents an example, apps
share nothing, a backend can be injected, and the app serves without a usable sandbox."""

from __future__ import annotations

from fastapi.testclient import TestClient

from reward_service.app import create_app
from reward_service.sandbox.fake import ScriptedSandbox
from tests.api.support import post
from tests.conftest import make_settings

ADD = "```python\ndef add(a, b):\n    return a + b\n```"


def test_empty_batch_is_fine(client: TestClient) -> None:
    assert post(client, "/math", {"items": []}) == []
    assert post(client, "/format", {"items": []}) == []
    assert post(client, "/score", {"items": []}) == []


def test_openapi_has_an_example_per_endpoint(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    for name in ("MathRequest", "FormatRequest", "ScoreRequest"):
        assert schema["components"]["schemas"][name]["examples"], name


def test_two_apps_do_not_share_metrics() -> None:
    with TestClient(create_app(make_settings())) as a, TestClient(create_app(make_settings())) as b:
        a.post("/format", json={"items": [{"completion": "x"}]})
        assert "reward_items_total{" not in b.get("/metrics").text


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


def test_an_injected_backend_serves_code_and_health_and_stays_open() -> None:
    sandbox = ScriptedSandbox(queued=3)
    with TestClient(create_app(make_settings(), sandbox=sandbox)) as client:
        code = client.get("/healthz").json()["backends"]["code"]
        results = post(client, "/code", {"items": [{"completion": ADD, "tests": ["assert 1"]}]})
        metrics = client.get("/metrics").text
    assert code["ready"] is True and code["backend"] == "fake" and code["queued"] == 3
    assert results[0]["status"] == "passed"
    assert "reward_sandbox_queued_jobs 3.0" in metrics
    assert not sandbox.closed  # its owner closes it, not the app
