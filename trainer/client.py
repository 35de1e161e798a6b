"""HTTP client for the reward service: timeouts, bounded retries, chunking, `None` on failure.

`RewardClient.fetch(endpoint, items, options)` posts `{"items": [...], **options}` to
`<REWARD_URL>/<endpoint>` and returns one result dict per item, in order. Large batches are split
into chunks of `chunk_size` items that are sent concurrently (at most `max_concurrency` at once).

Failure policy, per chunk: connection errors, read timeouts and 429/502/503/504 answers are retried
up to `max_retries` times with exponential backoff and jitter (a `Retry-After` header wins, capped
at `backoff_max_s`). Read timeouts are not retried when `retry_read_timeouts=False`: a timed-out
`/code` chunk is still running on the server, and sending it again would run it twice. Anything
else that is not a well-formed 200 answer (400, 401, 413, 422, 500, a body of the wrong shape)
is not retried. Either way the chunk's items come back as `None` and a warning is logged: a
training loop must not die because the service hiccuped, and a service that could not score an
item must not look like a wrong answer (0.0).

Left out on purpose: the service's schemas (the client passes dicts through and only checks that
`results` has one entry per item), connection pooling across calls (an `httpx.AsyncClient` lives
for one `fetch` call, so the client is safe to use from any event loop or thread), and
circuit breaking across calls.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import os
import random
import threading
import time
from collections.abc import Coroutine, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

import httpx

logger = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 502, 503, 504})
DEFAULT_URL = "http://127.0.0.1:8000"

Result = dict[str, Any]
T = TypeVar("T")


@dataclass(frozen=True)
class ClientConfig:
    """Where the service is and how hard to try. Units are in the names."""

    url: str = DEFAULT_URL
    api_key: str | None = field(default=None, repr=False)
    connect_timeout_s: float = 5.0
    # /code runs programs: a chunk of code items can take a while, so reads wait longer.
    read_timeout_s: float = 120.0
    max_retries: int = 4  # retries after the first attempt; 0 = one attempt only
    backoff_initial_s: float = 0.5
    backoff_max_s: float = 30.0
    chunk_size: int = 256  # items per request
    max_concurrency: int = 8  # requests in flight per `fetch` call

    def __post_init__(self) -> None:
        if self.chunk_size < 1 or self.max_concurrency < 1:
            raise ValueError("chunk_size and max_concurrency must be >= 1")
        if self.max_retries < 0:
            raise ValueError("max_retries must be >= 0; use 0 for a single attempt")

    @classmethod
    def from_env(cls, **overrides: Any) -> ClientConfig:
        """`REWARD_URL`, `REWARD_API_KEY` and `REWARD_TIMEOUT_S` (read timeout), then overrides."""
        env: dict[str, Any] = {"url": os.environ.get("REWARD_URL", DEFAULT_URL)}
        if key := os.environ.get("REWARD_API_KEY"):
            env["api_key"] = key
        if timeout := os.environ.get("REWARD_TIMEOUT_S"):
            env["read_timeout_s"] = float(timeout)
        env.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**env)


class RewardClient:
    """Scores batches on the reward service. Never raises for service failures.

    `transport` is for tests and embedding (e.g. `httpx.ASGITransport(app)`); by default the
    client opens real TCP connections.
    """

    def __init__(
        self,
        config: ClientConfig | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.config = config or ClientConfig.from_env()
        self._transport = transport

    def with_options(self, **changes: Any) -> RewardClient:
        """A client with some config fields changed, e.g. `with_options(read_timeout_s=5)`."""
        return RewardClient(replace(self.config, **changes), transport=self._transport)

    def _http(self) -> httpx.AsyncClient:
        cfg = self.config
        headers = {"Authorization": f"Bearer {cfg.api_key}"} if cfg.api_key else {}
        timeout = httpx.Timeout(
            connect=cfg.connect_timeout_s,
            read=cfg.read_timeout_s,
            write=cfg.read_timeout_s,
            pool=cfg.read_timeout_s,
        )
        limits = httpx.Limits(max_connections=cfg.max_concurrency)
        return httpx.AsyncClient(
            base_url=cfg.url.rstrip("/"),
            headers=headers,
            timeout=timeout,
            limits=limits,
            transport=self._transport,
        )

    async def fetch(
        self,
        endpoint: str,
        items: Sequence[Mapping[str, Any]],
        options: Mapping[str, Any] | None = None,
        *,
        retry_read_timeouts: bool = True,
    ) -> list[Result | None]:
        """One result dict (the service's, untouched) or `None` per item, in input order."""
        if not items:
            return []
        path = "/" + endpoint.strip("/")
        size = self.config.chunk_size
        chunks = [list(items[i : i + size]) for i in range(0, len(items), size)]
        gate = asyncio.Semaphore(self.config.max_concurrency)

        async def send(http: httpx.AsyncClient, chunk: list[Mapping[str, Any]]) -> list[Any]:
            async with gate:
                return await self._post_chunk(http, path, chunk, options or {}, retry_read_timeouts)

        async with self._http() as http:
            answers = await asyncio.gather(*(send(http, c) for c in chunks))
        return [result for answer in answers for result in answer]

    def fetch_sync(
        self,
        endpoint: str,
        items: Sequence[Mapping[str, Any]],
        options: Mapping[str, Any] | None = None,
        *,
        retry_read_timeouts: bool = True,
    ) -> list[Result | None]:
        """`fetch` for synchronous callers; works even when the thread runs an event loop."""
        return run_sync(
            self.fetch(endpoint, items, options, retry_read_timeouts=retry_read_timeouts)
        )

    async def healthy(self) -> bool:
        """True when `GET /healthz` answers 200 within the connect timeout."""
        try:
            async with self._http() as http:
                response = await http.get("/healthz", timeout=self.config.connect_timeout_s)
        except httpx.HTTPError:
            return False
        return response.status_code == 200

    async def _post_chunk(
        self,
        http: httpx.AsyncClient,
        path: str,
        chunk: list[Mapping[str, Any]],
        options: Mapping[str, Any],
        retry_read_timeouts: bool,
    ) -> list[Result | None]:
        body = {**options, "items": chunk}
        attempts = self.config.max_retries + 1
        problem = "no attempt made"
        for attempt in range(attempts):
            retry_after: float | None = None
            try:
                response = await http.post(path, json=body)
            except httpx.ReadTimeout as exc:
                problem = f"ReadTimeout after {self.config.read_timeout_s:g}s: {exc}"
                if not retry_read_timeouts:
                    break
            except httpx.TransportError as exc:  # connect/write timeouts, resets, bad framing
                problem = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            except (httpx.HTTPError, TypeError, ValueError) as exc:  # bad URL, unserialisable item
                problem = f"{type(exc).__name__}: {exc}"
                break
            else:
                if response.status_code == 200:
                    results = _results_of(response, len(chunk))
                    if results is not None:
                        return results
                    problem = "malformed response body"
                    break
                problem = f"HTTP {response.status_code}: {response.text[:200]!r}"
                if response.status_code not in RETRY_STATUSES:
                    break
                retry_after = _parse_retry_after(response.headers.get("Retry-After"))
            if attempt + 1 < attempts:
                delay = self._backoff_s(attempt, retry_after)
                logger.info(
                    "reward service %s failed (%s); retry %d/%d in %.2fs",
                    path,
                    problem,
                    attempt + 1,
                    attempts - 1,
                    delay,
                )
                await asyncio.sleep(delay)
        logger.warning(
            "reward service %s%s gave up on %d items after %d attempt(s): %s; rewards are None",
            self.config.url.rstrip("/"),
            path,
            len(chunk),
            attempt + 1,
            problem,
        )
        return [None] * len(chunk)

    def _backoff_s(self, attempt: int, retry_after: float | None) -> float:
        cfg = self.config
        if retry_after is not None:
            return min(retry_after, cfg.backoff_max_s)
        ceiling = min(cfg.backoff_max_s, cfg.backoff_initial_s * 2.0**attempt)
        return ceiling * random.uniform(0.5, 1.0)  # jitter, not crypto


def _results_of(response: httpx.Response, expected: int) -> list[Result | None] | None:
    try:
        results = response.json().get("results")
    except (ValueError, AttributeError):
        return None
    if not isinstance(results, list) or len(results) != expected:
        return None
    return [r if isinstance(r, dict) else None for r in results]


def _parse_retry_after(value: str | None) -> float | None:
    """Seconds from a `Retry-After` header: delta-seconds or an HTTP date; None if absent/bad."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run `coro` to completion from sync code, in a helper thread if a loop is already running."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = asyncio.run(coro)
        except BaseException as exc:  # re-raised in the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=target, name="reward-client-sync", daemon=True)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    value: T = box["value"]
    return value
