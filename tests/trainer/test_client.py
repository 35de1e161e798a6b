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
from fastapi.responses import JSONResponse, PlainTextResponse

from tests.trainer.trainer_servers import DroppingServer, free_port, serve_in_thread
from trainer.client import ClientConfig, RewardClient, _parse_retry_after


def make_app() -> FastAPI:
    app = FastAPI()
    app.state.calls = Counter()
    app.state.in_flight = 0
    app.state.max_in_flight = 0
    app.state.auth = []
    app.state.down = False

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

    @app.post("/picky")
    async def picky(request: Request) -> Any:
        """422 for the whole batch when any item is malformed, as the service's schemas do."""
        app.state.calls["picky"] += 1
        items = (await request.json())["items"]
        if any(not isinstance(i.get("completion"), str) for i in items):
            return JSONResponse({"detail": "completion must be a string"}, status_code=422)
        return ok(items)

    @app.post("/busy")
    async def busy() -> Any:
        """503 while `app.state.down` (a replica without a sandbox), else scores."""
        app.state.calls["busy"] += 1
        if app.state.down:
            return JSONResponse({"detail": "no sandbox"}, status_code=503)
        return {"results": [{"reward": 1.0, "status": "ok"}]}

    @app.post("/proxy500")
    async def proxy500(request: Request) -> Any:
        """A proxy in front of the service whose replica died: a plain-text 500, then fine."""
        app.state.calls["proxy500"] += 1
        if app.state.calls["proxy500"] == 1:
            return PlainTextResponse("Internal Server Error", status_code=500)
        return ok((await request.json())["items"])

    @app.post("/bug500")
    async def bug500() -> Any:
        """The service's own 500 (a bug of ours): its error body, not worth sending again."""
        app.state.calls["bug500"] += 1
        return JSONResponse({"error": "internal_error", "detail": "a bug"}, status_code=500)

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
    assert client.fetch_sync("reject", ITEMS[:1]) == [None]
    assert client.fetch_sync("short", ITEMS[:2]) == [None, None]  # wrong number of results
    assert app.state.calls["reject"] == 1
    assert app.state.calls["short"] == 1


def test_a_proxy_500_is_sent_again_but_the_service_own_500_is_not(
    server: tuple[str, FastAPI],
) -> None:
    url, app = server
    app.state.calls.clear()
    client = RewardClient(fast_config(url, max_retries=3))
    assert [r and r["reward"] for r in client.fetch_sync("proxy500", ITEMS[:2])] == [0.0, 1.0]
    assert app.state.calls["proxy500"] == 2
    assert client.fetch_sync("bug500", ITEMS[:2]) == [None, None]
    assert app.state.calls["bug500"] == 1


def test_one_malformed_item_costs_only_its_own_reward(server: tuple[str, FastAPI]) -> None:
    url, app = server
    app.state.calls.clear()
    items: list[dict[str, Any]] = [*ITEMS[:3], {"completion": None}, *ITEMS[4:8]]
    results = RewardClient(fast_config(url)).fetch_sync("picky", items)
    assert [r["reward"] if r else None for r in results] == [0.0, 1.0, 2.0, None, 4, 5, 6, 7]
    # refused whole, then halved until the bad item was alone: 1 + 2 + 2 + 2 requests
    assert app.state.calls["picky"] == 7


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


# --- several replicas ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def second_server() -> Iterator[tuple[str, FastAPI]]:
    app = make_app()
    with serve_in_thread(app) as url:
        yield url, app


def test_requests_spread_over_replicas_by_load(
    server: tuple[str, FastAPI], second_server: tuple[str, FastAPI]
) -> None:
    (url_a, app_a), (url_b, app_b) = server, second_server
    app_a.state.calls.clear()
    app_b.state.calls.clear()
    client = RewardClient(fast_config(f"{url_a},{url_b}", chunk_size=1, max_concurrency=8))
    results = client.fetch_sync("echo", ITEMS[:8])
    assert [r["reward"] for r in results if r] == [float(n) for n in range(8)]
    # eight concurrent requests, least outstanding first: four each
    assert app_a.state.calls["echo"] == app_b.state.calls["echo"] == 4


def test_a_refused_replica_is_skipped_without_a_retry(server: tuple[str, FastAPI]) -> None:
    url, app = server
    app.state.calls.clear()
    dead = f"http://127.0.0.1:{free_port()}"
    client = RewardClient(fast_config(f"{dead},{url}", max_retries=0, chunk_size=2))
    results = client.fetch_sync("echo", ITEMS[:6])
    assert [r["reward"] for r in results if r] == [float(n) for n in range(6)]
    assert app.state.calls["echo"] == 3  # each chunk once, none lost, none sent twice
    assert client.replicas.awake() == 1  # the dead one rests


def test_a_replica_answering_503_is_drained(
    server: tuple[str, FastAPI], second_server: tuple[str, FastAPI]
) -> None:
    (url_a, app_a), (url_b, app_b) = server, second_server
    app_a.state.calls.clear()
    app_b.state.calls.clear()
    app_a.state.down = True
    try:
        client = RewardClient(fast_config(f"{url_a},{url_b}", max_retries=0, chunk_size=1))
        results = [client.fetch_sync("busy", ITEMS[:1]) for _ in range(5)]
    finally:
        app_a.state.down = False
    assert results == [[{"reward": 1.0, "status": "ok"}]] * 5
    assert app_a.state.calls["busy"] == 1  # asked once, then rested
    assert app_b.state.calls["busy"] == 5


def test_a_replica_that_disappears_under_load_loses_nothing() -> None:
    """One of two replicas stops mid-load: every item comes back, each scored once."""
    app_a, app_b = make_app(), make_app()
    with serve_in_thread(app_b) as url_b:
        stop = serve_in_thread(app_a)
        url_a = stop.__enter__()
        client = RewardClient(fast_config(f"{url_a},{url_b}", chunk_size=1, max_concurrency=4))

        async def load() -> list[Any]:
            async def later_stop() -> None:  # once it has served some of the load
                for _ in range(500):
                    if app_a.state.calls["echo"] >= 3:
                        break
                    await asyncio.sleep(0.01)
                await asyncio.to_thread(stop.__exit__, None, None, None)

            stopper = asyncio.create_task(later_stop())
            batches = [client.fetch("echo", ITEMS) for _ in range(6)]
            results = await asyncio.gather(*batches)
            await stopper
            return results

        results = asyncio.run(load())
    for batch in results:
        assert [r["reward"] for r in batch if r] == [float(n) for n in range(10)]
    assert app_a.state.calls["echo"] >= 3 and app_b.state.calls["echo"] > 0
    # every item was answered once by a server that then replied (a stop answers what it has)
    assert app_a.state.calls["echo"] + app_b.state.calls["echo"] >= 60
