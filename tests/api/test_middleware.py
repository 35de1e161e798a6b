"""Optional bearer auth, 429 backpressure with Retry-After, and structured request logs."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from fastapi.testclient import TestClient

from reward_service.app import create_app
from tests.conftest import make_settings

ITEM = {"completion": "<think>x</think> #### 1", "answer": 1}
FORMAT_ITEM = {"completion": "<think>x</think> #### 1"}


def test_api_key_guards_everything_but_healthz() -> None:
    app = create_app(make_settings(api_key="s3cret"))
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
        for method, path in [("POST", "/math"), ("GET", "/metrics"), ("GET", "/openapi.json")]:
            response = client.request(method, path, json={"items": [ITEM]})
            assert response.status_code == 401, path
            assert response.headers["www-authenticate"] == "Bearer"
            assert "REWARD_API_KEY" in response.json()["detail"]
        wrong = client.post(
            "/math", json={"items": [ITEM]}, headers={"Authorization": "Bearer s3cres"}
        )
        assert wrong.status_code == 401
        ok = client.post(
            "/math", json={"items": [ITEM]}, headers={"Authorization": "Bearer s3cret"}
        )
        assert ok.status_code == 200
        assert ok.json()["results"][0]["status"] == "correct"


def test_no_api_key_means_open(client: TestClient) -> None:
    assert client.post("/math", json={"items": [ITEM]}).status_code == 200


async def test_over_the_in_flight_limit_is_429_with_retry_after() -> None:
    app = create_app(make_settings(max_concurrent_requests=1, latex_timeout_s=1))
    slow = {
        "items": [{"completion": "\\boxed{3}", "answer": "2^{2^{2^{2^{2^{30}}}}}"}],
        "extract": "latex",
    }
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            busy = asyncio.create_task(client.post("/math", json=slow, timeout=60))
            await asyncio.sleep(0.3)  # the slow request now holds the only slot
            rejected = await client.post("/format", json={"items": [FORMAT_ITEM]})
            health = await client.get("/healthz")  # never limited
            first = await busy
            after = await client.post("/format", json={"items": [FORMAT_ITEM]})
    assert rejected.status_code == 429
    assert rejected.headers["retry-after"] == "1"
    assert rejected.json()["error"] == "overloaded"
    assert health.status_code == 200
    assert first.status_code == 200
    assert after.status_code == 200


def test_one_json_log_line_per_request_without_completion_text(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "<think>do not log me</think> #### 1"
    with caplog.at_level("INFO", logger="reward_service.access"):
        client.post(
            "/score",
            json={"items": [{"completion": secret, "answer": 1}, {"completion": "x", "answer": 2}]},
        )
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name.endswith("access")]
    assert len(lines) == 1
    line = lines[0]
    assert line["path"] == "/score" and line["status"] == 200 and line["items"] == 2
    assert line["statuses"] == {
        "math:correct": 1,
        "math:missing": 1,
        "format:ok": 1,
        "format:missing": 1,
    }
    assert line["duration_ms"] > 0
    assert "do not log me" not in caplog.text
