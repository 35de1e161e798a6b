"""The reward client against real servers that fail on purpose: 503s, stalls, dropped and
refused connections, bad answers. Each test counts what the server actually received."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from tests.trainer.trainer_servers import DroppingServer, free_port, serve_in_thread
from trainer.client import ClientConfig, RewardClient, _parse_retry_after


def make_app() -> FastAPI:
    app = FastAPI()
    app.state.calls = Counter()
    app.state.in_flight = 0
    app.state.max_in_flight = 0
    app.state.auth = []

    def ok(items: list[dict[str, Any]]) -> dict[str, Any]:
        return {"results": [{"reward": float(len(i["completion"])), "status": "ok"} for i in items]}

    @app.post("/echo")
    async def echo(request: Request) -> Any:
        app.state.calls["echo"] += 1
        app.state.auth.append(request.headers.get("authorization"))
        app.state.in_flight += 1
        app.state.max_in_flight = max(app.state.max_in_flight, app.state.in_flight)
        try:
            body = await request.json()
            await asyncio.sleep(0.05)
            return ok(body["items"])
        finally:
            app.state.in_flight -= 1

    @app.post("/flaky/{code}")
    async def flaky(code: int, request: Request) -> Any:
        app.state.calls["flaky"] += 1
        if app.state.calls["flaky"] <= 2:
            return JSONResponse({"detail": "busy"}, status_code=code, headers={"Retry-After": "1"})
        return ok((await request.json())["items"])

    @app.post("/down")
    async def down() -> Any:
        app.state.calls["down"] += 1
        return JSONResponse({"detail": "overloaded"}, status_code=503)

    @app.post("/reject")
    async def reject() -> Any:
        app.state.calls["reject"] += 1
        return JSONResponse({"detail": "bad item"}, status_code=422)

    @app.post("/short")
    async def short() -> Any:
        app.state.calls["short"] += 1
        return {"results": []}

    @app.post("/stall")
    async def stall() -> Any:
        app.state.calls["stall"] += 1
        await asyncio.sleep(3)
        return {"results": []}

    return app


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, FastAPI]]:
    app = make_app()
    with serve_in_thread(app) as url:
        yield url, app


def fast_config(url: str, **changes: Any) -> ClientConfig:
    base: dict[str, Any] = dict(
        url=url, connect_timeout_s=1.0, read_timeout_s=2.0, max_retries=2,
        backoff_initial_s=0.01, backoff_max_s=0.05,
    )  # fmt: skip
    return ClientConfig(**{**base, **changes})


ITEMS = [{"completion": "x" * n} for n in range(10)]


def test_chunks_are_sent_concurrently_and_keep_order(server: tuple[str, FastAPI]) -> None:
    url, app = server
    app.state.calls.clear()
    client = RewardClient(fast_config(url, chunk_size=3, max_concurrency=4, api_key="s3cret"))
    results = client.fetch_sync("echo", ITEMS)
    assert [r["reward"] for r in results if r] == [float(n) for n in range(10)]
    assert app.state.calls["echo"] == 4  # 3 + 3 + 3 + 1
    assert app.state.max_in_flight > 1
    assert set(app.state.auth[-4:]) == {"Bearer s3cret"}


@pytest.mark.parametrize("code", [429, 503])
def test_busy_answers_with_retry_after_are_retried_then_succeed(
    server: tuple[str, FastAPI], code: int
) -> None:
    url, app = server
    app.state.calls.clear()
    client = RewardClient(fast_config(url, backoff_max_s=5.0))
    start = time.monotonic()
    results = client.fetch_sync(f"flaky/{code}", ITEMS[:3])
    elapsed = time.monotonic() - start
    assert [r["reward"] for r in results if r] == [0.0, 1.0, 2.0]
    assert app.state.calls["flaky"] == 3
    assert elapsed >= 1.9  # two `Retry-After: 1` waits, not the 0.01 s backoff


def test_service_that_stays_down_gives_none_and_a_warning(
    server: tuple[str, FastAPI], caplog: pytest.LogCaptureFixture
) -> None:
    url, app = server
    app.state.calls.clear()
    with caplog.at_level(logging.WARNING, logger="trainer.client"):
        results = RewardClient(fast_config(url, max_retries=3)).fetch_sync("down", ITEMS[:4])
    assert results == [None] * 4
    assert app.state.calls["down"] == 4  # one attempt + three retries, then give up
    assert "gave up on 4 items after 4 attempt(s)" in caplog.text


def test_stalled_read_times_out_and_is_retried(server: tuple[str, FastAPI]) -> None:
    url, app = server
    app.state.calls.clear()
    client = RewardClient(fast_config(url, read_timeout_s=0.3, max_retries=1))
    start = time.monotonic()
    assert client.fetch_sync("stall", ITEMS[:2]) == [None, None]
    assert time.monotonic() - start < 2.0
    assert app.state.calls["stall"] == 2


def test_read_timeouts_of_program_runs_are_not_resent(server: tuple[str, FastAPI]) -> None:
    """A timed-out /code chunk is still running on the server: resending would run it twice."""
    url, app = server
    app.state.calls.clear()
    client = RewardClient(fast_config(url, read_timeout_s=0.3, max_retries=3))
    results = client.fetch_sync("stall", ITEMS[:2], retry_read_timeouts=False)
    assert results == [None, None]
    assert app.state.calls["stall"] == 1


def test_client_errors_are_not_retried(server: tuple[str, FastAPI]) -> None:
    url, app = server
    app.state.calls.clear()
    client = RewardClient(fast_config(url))
    assert client.fetch_sync("reject", ITEMS[:2]) == [None, None]
    assert client.fetch_sync("short", ITEMS[:2]) == [None, None]  # wrong number of results
    assert app.state.calls["reject"] == 1
    assert app.state.calls["short"] == 1


def test_dropped_connections_are_retried_then_none() -> None:
    dropper = DroppingServer()
    try:
        results = RewardClient(fast_config(dropper.url, max_retries=2)).fetch_sync(
            "math", ITEMS[:3]
        )
    finally:
        dropper.close()
    assert results == [None, None, None]
    assert dropper.connections == 3


def test_refused_connection_gives_none_quickly() -> None:
    client = RewardClient(fast_config(f"http://127.0.0.1:{free_port()}"))
    start = time.monotonic()
    assert client.fetch_sync("math", ITEMS[:2]) == [None, None]
    assert time.monotonic() - start < 2.0


async def test_fetch_sync_works_inside_a_running_loop(server: tuple[str, FastAPI]) -> None:
    url, _ = server
    client = RewardClient(fast_config(url))
    assert [r["reward"] for r in client.fetch_sync("echo", ITEMS[:2]) if r] == [0.0, 1.0]
    assert [r["reward"] for r in await client.fetch("echo", ITEMS[:2]) if r] == [0.0, 1.0]


def test_retry_after_parsing() -> None:
    assert _parse_retry_after("3") == 3.0
    assert _parse_retry_after(None) is None
    assert _parse_retry_after("soon") is None
    assert _parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past


def test_config_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REWARD_URL", "http://rewards:9000")
    monkeypatch.setenv("REWARD_API_KEY", "s3cret-key")
    monkeypatch.setenv("REWARD_TIMEOUT_S", "7")
    config = ClientConfig.from_env(max_retries=1)
    assert (config.url, config.api_key, config.read_timeout_s, config.max_retries) == (
        "http://rewards:9000", "s3cret-key", 7.0, 1,
    )  # fmt: skip
    assert "s3cret" not in repr(config)
