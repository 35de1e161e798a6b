"""POST /math: the HTTP contract of every extraction mode (in-process ASGI client)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.support import post


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


def test_order_is_kept_on_a_large_batch(client: TestClient) -> None:
    items = [{"completion": f"#### {i}", "answer": i if i % 3 else i + 1} for i in range(2000)]
    results = post(client, "/math", {"items": items})
    assert [r["status"] for r in results] == ["correct" if i % 3 else "wrong" for i in range(2000)]
    assert [r["extracted"] for r in results] == [str(i) for i in range(2000)]
