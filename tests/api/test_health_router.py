from __future__ import annotations

from fastapi.testclient import TestClient


def test_healthz_reports_backends(client: TestClient) -> None:
    body = client.get("/healthz").json()
    assert body["status"] == "ok"
    assert body["backends"]["code"] == {
        "ready": False,
        "reason": "disabled (REWARD_SANDBOX_BACKEND=none)",
    }


def test_metrics_count_items_by_status_and_bad_requests(client: TestClient) -> None:
    client.post(
        "/math",
        json={"items": [{"completion": "#### 1", "answer": 1}, {"completion": "x", "answer": 1}]},
    )
    client.post("/format", json={"items": [{"completion": "<think></think>"}]})
    client.post("/math", content=b"{", headers={"content-type": "application/json"})
    text = client.get("/metrics").text
    assert 'reward_items_total{endpoint="math",status="correct"} 1.0' in text
    assert 'reward_items_total{endpoint="math",status="missing"} 1.0' in text
    assert 'reward_items_total{endpoint="format",status="ok"} 1.0' in text
    assert 'reward_requests_total{code="422",path="/math"} 1.0' in text
