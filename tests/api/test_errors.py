"""Bad input gets 422/413 with a message a person can act on, never a 500."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from reward_service.app import create_app
from tests.conftest import make_settings

ENDPOINTS = ["/math", "/format", "/score"]


@pytest.fixture
def small_client() -> Iterator[TestClient]:
    settings = make_settings(max_body_bytes=64 * 1024, max_batch_items=10, max_completion_chars=50)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


def raw_post(client: TestClient, path: str, body: bytes) -> tuple[int, dict[str, object]]:
    response = client.post(path, content=body, headers={"content-type": "application/json"})
    return response.status_code, response.json()


@pytest.mark.parametrize("path", ENDPOINTS)
@pytest.mark.parametrize(
    ("body", "where"),
    [
        (b'{"items": [', "not valid JSON"),
        (b"not json at all", "not valid JSON"),
        (b"", "body"),
        (b"[]", "body"),
        (b'{"items": "nope"}', "items"),
        (b'{"items": [{"completion": 5, "answer": 1}]}', "items.0.completion"),
        (b'{"items": [{"answer": 1}]}', "items.0.completion"),
        (b'{"items": [{"completion": "x", "answer": 1, "bogus": 1}]}', "items.0.bogus"),
        (b'{"items": [], "unknown_option": 1}', "unknown_option"),
    ],
)
def test_malformed_bodies_are_422_with_location(
    client: TestClient, path: str, body: bytes, where: str
) -> None:
    if path == "/format" and "answer" in body.decode() and where == "items.0.completion":
        body = body.replace(b', "answer": 1', b"")
    status, payload = raw_post(client, path, body)
    assert status == 422, payload
    assert payload["error"] == "invalid_request"
    assert where in str(payload["detail"]), payload["detail"]


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"items": [{"completion": "x", "answer": True}]}, "items.0.answer"),
        ({"items": [{"completion": "x", "answer": [1]}]}, "items.0.answer"),
        ({"items": [], "extract": "regex"}, "extract"),
        ({"items": [], "rewards": {"correct": "lots"}}, "rewards.correct"),
    ],
)
def test_wrong_types_are_422(client: TestClient, body: dict[str, object], where: str) -> None:
    status, payload = raw_post(client, "/math", json.dumps(body).encode())
    assert status == 422
    assert where in str(payload["detail"])


def test_nan_and_infinity_rewards_are_rejected(client: TestClient) -> None:
    for literal in (b"NaN", b"Infinity", b"1e999"):
        body = b'{"items": [], "rewards": {"correct": ' + literal + b"}}"
        status, payload = raw_post(client, "/math", body)
        assert status == 422, (literal, payload)


def test_score_needs_a_component(client: TestClient) -> None:
    status, payload = raw_post(client, "/score", b'{"items": [], "components": {}}')
    assert status == 422
    assert "at least one" in str(payload["detail"])


@pytest.mark.parametrize("path", ENDPOINTS)
def test_body_over_limit_is_413(small_client: TestClient, path: str) -> None:
    body = json.dumps({"items": [{"completion": "x" * 70_000, "answer": 1}]}).encode()
    status, payload = raw_post(small_client, path, body)
    assert status == 413
    assert "REWARD_MAX_BODY_BYTES" in str(payload["detail"])


def test_streamed_body_over_limit_is_413_without_content_length(small_client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"items": [{"completion": "'
        for _ in range(20):
            yield b"x" * 8192
        yield b'", "answer": 1}]}'

    response = small_client.post(
        "/math", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413


@pytest.mark.parametrize("path", ENDPOINTS)
def test_batch_over_item_limit_is_413(small_client: TestClient, path: str) -> None:
    item = {"completion": "x"} if path == "/format" else {"completion": "x", "answer": 1}
    body = json.dumps({"items": [item] * 11}).encode()
    status, payload = raw_post(small_client, path, body)
    assert status == 413
    assert "REWARD_MAX_BATCH_ITEMS" in str(payload["detail"])


def test_huge_completion_is_an_item_error_and_the_batch_still_scores(
    small_client: TestClient,
) -> None:
    body = {
        "items": [
            {"completion": "#### 1", "answer": 1},
            {"completion": "y" * 51 + " #### 1", "answer": 1},
            {"completion": "#### 2", "answer": 1},
        ]
    }
    status, payload = raw_post(small_client, "/math", json.dumps(body).encode())
    assert status == 200
    results = payload["results"]
    assert isinstance(results, list)
    assert [r["status"] for r in results] == ["correct", "error", "wrong"]
    assert results[1]["reward"] is None
    assert "REWARD_MAX_COMPLETION_CHARS" in results[1]["error"]


def test_nul_bytes_non_ascii_and_lone_surrogates(client: TestClient) -> None:
    completions = [
        "\x00\x00 #### 18 \x00",
        "答案是 #### 18 🎉",
        "<think>\u200b</think> #### \u221218",  # unicode minus
        '"\\ud800" is a lone surrogate #### 18',
    ]
    body = json.dumps({"items": [{"completion": c, "answer": 18} for c in completions]})
    body = body.replace("\\\\ud800", "\\ud800")  # a real lone surrogate escape in the JSON
    status, payload = raw_post(client, "/score", body.encode())
    assert status == 200, payload
    results = payload["results"]
    assert isinstance(results, list)
    assert [r["components"]["math"]["status"] for r in results] == [
        "correct",
        "correct",
        "wrong",
        "correct",
    ]


def test_deeply_nested_json_is_not_a_500(client: TestClient) -> None:
    body = b'{"items": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    status, _ = raw_post(client, "/math", body)
    assert status in (413, 422)


def test_unknown_path_and_method(client: TestClient) -> None:
    assert client.get("/nope").status_code == 404
    assert client.get("/math").status_code == 405
