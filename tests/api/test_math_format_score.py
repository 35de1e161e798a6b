"""The HTTP contract of /math, /format and /score (in-process ASGI client)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient


def post(client: TestClient, path: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    response = client.post(path, json=body)
    assert response.status_code == 200, response.text
    results: list[dict[str, Any]] = response.json()["results"]
    return results


def test_math_gsm8k_contract(client: TestClient) -> None:
    results = post(
        client,
        "/math",
        {
            "items": [
                {"completion": "<think>16-3-4=9</think> #### 18", "answer": "... \n#### 18"},
                {"completion": "#### 17", "answer": 18},
                {"completion": "no idea", "answer": "18"},
                {"completion": "#### 5", "answer": "#### none"},
                {"completion": "#### 1,234", "answer": 1234.0},
            ]
        },
    )
    assert results == [
        {"reward": 1.0, "status": "correct", "extracted": "18", "error": None},
        {"reward": -0.5, "status": "wrong", "extracted": "17", "error": None},
        {"reward": -1.0, "status": "missing", "extracted": None, "error": None},
        {
            "reward": None,
            "status": "error",
            "extracted": None,
            "error": "gold answer '#### none' has no number",
        },
        {"reward": 1.0, "status": "correct", "extracted": "1234", "error": None},
    ]


def test_math_custom_rewards_and_flexible_mode(client: TestClient) -> None:
    results = post(
        client,
        "/math",
        {
            "items": [
                {"completion": "\\boxed{7}", "answer": 7},
                {"completion": "The answer is 8", "answer": 7},
                {"completion": "none", "answer": 7},
            ],
            "extract": "flexible",
            "rewards": {"correct": 2.0, "wrong": 0.0, "missing": -3.0},
        },
    )
    assert [(r["status"], r["reward"]) for r in results] == [
        ("correct", 2.0),
        ("wrong", 0.0),
        ("missing", -3.0),
    ]


def test_math_latex_mode(client: TestClient) -> None:
    results = post(
        client,
        "/math",
        {
            "items": [
                {"completion": "so $\\boxed{0.5}$", "answer": "\\frac{1}{2}"},
                {"completion": "\\boxed{\\{1,3\\}}", "answer": "\\{1,2\\}"},
            ],
            "extract": "latex",
        },
    )
    assert [r["status"] for r in results] == ["correct", "wrong"]


def test_empty_batch_is_fine(client: TestClient) -> None:
    assert post(client, "/math", {"items": []}) == []
    assert post(client, "/format", {"items": []}) == []
    assert post(client, "/score", {"items": []}) == []


@pytest.mark.parametrize(
    ("style", "rewards"), [("think", [0.2, 0.0, 0.2]), ("r1", [0.0, 0.0, 0.2])]
)
def test_format_styles(client: TestClient, style: str, rewards: list[float]) -> None:
    results = post(
        client,
        "/format",
        {
            "items": [
                {"completion": "<think>a</think> #### 1"},
                {"completion": "#### 1"},
                {"completion": "<think>a</think>\n<answer>1</answer>"},
            ],
            "style": style,
        },
    )
    assert [r["reward"] for r in results] == rewards
    assert [r["status"] for r in results] == ["ok" if r else "missing" for r in rewards]


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


def test_order_is_kept_on_a_large_batch(client: TestClient) -> None:
    items = [{"completion": f"#### {i}", "answer": i if i % 3 else i + 1} for i in range(2000)]
    results = post(client, "/math", {"items": items})
    assert [r["status"] for r in results] == ["correct" if i % 3 else "wrong" for i in range(2000)]
    assert [r["extracted"] for r in results] == [str(i) for i in range(2000)]


def test_openapi_has_an_example_per_endpoint(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    for name in ("MathRequest", "FormatRequest", "ScoreRequest"):
        assert schema["components"]["schemas"][name]["examples"], name
