"""Helpers for the API tests."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient


def post(client: TestClient, path: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    """The `results` of a 200 answer (fails the test on any other status)."""
    response = client.post(path, json=body)
    assert response.status_code == 200, response.text
    results: list[dict[str, Any]] = response.json()["results"]
    return results
