"""The contract over real HTTP: a uvicorn process on a free port, talked to with httpx."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from reward_service.testing import running_service


@pytest.fixture(scope="module")
def live_url() -> Iterator[str]:
    # A 1 s math-verify budget so the timeout test below is quick.
    with running_service(REWARD_SANDBOX_BACKEND="none", REWARD_LATEX_TIMEOUT_S="1") as url:
        yield url


def test_math_format_score_over_http(live_url: str) -> None:
    with httpx.Client(base_url=live_url, timeout=30) as client:
        items = [
            {"completion": "<think>16-3-4=9; 9*2</think>\n#### 18", "answer": "... #### 18"},
            {"completion": "#### 1,235", "answer": "#### 1,234"},
        ]
        math = client.post("/math", json={"items": items}).json()["results"]
        assert [r["status"] for r in math] == ["correct", "wrong"]
        fmt = client.post("/format", json={"items": [{"completion": items[0]["completion"]}]})
        assert fmt.json()["results"] == [{"reward": 0.2, "status": "ok"}]
        score = client.post("/score", json={"items": items}).json()["results"]
        assert [r["reward"] for r in score] == [pytest.approx(1.2), -0.5]


def test_latex_timeout_works_inside_the_server(live_url: str) -> None:
    """The math-verify alarm must fire inside a running server, not zero the batch."""
    items = [
        {"completion": "\\boxed{0.5}", "answer": "\\frac{1}{2}"},
        {"completion": "\\boxed{3}", "answer": "2^{2^{2^{2^{2^{30}}}}}"},  # sympy never finishes
        {"completion": "\\boxed{\\{2,1\\}}", "answer": "\\{1,2\\}"},
    ]
    with httpx.Client(base_url=live_url, timeout=60) as client:
        start = time.perf_counter()
        response = client.post("/math", json={"items": items, "extract": "latex"})
        elapsed = time.perf_counter() - start
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["correct", "error", "correct"]
    assert results[1]["reward"] is None
    assert "took over 1s" in results[1]["error"]
    assert elapsed < 20


def test_health_and_metrics_over_http(live_url: str) -> None:
    with httpx.Client(base_url=live_url, timeout=10) as client:
        client.post("/math", json={"items": [{"completion": "#### 1", "answer": 1}]})
        health = client.get("/healthz").json()
        assert health["status"] == "ok"
        assert health["backends"]["math"]["ready"] is True
        assert health["backends"]["code"]["ready"] is False
        metrics = client.get("/metrics").text
        assert 'reward_items_total{endpoint="math",status="correct"}' in metrics
        assert 'reward_requests_total{code="200",path="/math"}' in metrics
        assert "reward_request_seconds_bucket" in metrics
