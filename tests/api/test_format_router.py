"""POST /format: both template styles."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.api.support import post


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
