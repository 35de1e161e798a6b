"""HTTP client for the reward service: timeouts, bounded retries, chunking, `None` on failure.

`RewardClient.fetch(endpoint, items, options)` posts `{"items": [...], **options}` to
`<REWARD_URL>/<endpoint>` and returns one result dict per item, in order. Large batches are split
into chunks of `chunk_size` items that are sent concurrently (at most `max_concurrency` at once).

Several replicas: `REWARD_URL` (or `ClientConfig.url`) may list several URLs separated by commas.
Each request goes to the replica with the fewest requests in flight (`trainer.replicas`); one
that refuses the connection, answers 503 or drops the connection rests for
`replica_rest_s` and the request goes to another one at once (no backoff, no retry spent), so a
replica that disappears is drained. A request that may have run (a read timeout on `/code`) is
still never re-sent.

Failure policy, per chunk: connection errors, read timeouts and 429/502/503/504 answers are retried
up to `max_retries` times with exponential backoff and jitter (a `Retry-After` header wins, capped
at `backoff_max_s`). Read timeouts are not retried when `retry_read_timeouts=False`: a timed-out
`/code` chunk is still running on the server, and sending it again would run it twice. A 500
without the service's own error body comes from a proxy in front of it (Ray Serve's, when the
replica holding the request died) and is retried like a 502: the request died with the replica.
Anything else that is not a well-formed 200 answer (400, 401, 413, 422, the service's own 500, a
body of the wrong shape) is not retried, except that a chunk refused as a whole with 422 or 413 is
split in halves until the items that cause it are alone. Either way the chunk's items come back as
`None` and a warning is logged: a training loop must not die because the service hiccuped, and a
service that could not score an item must not look like a wrong answer (0.0).

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

from trainer.replicas import ReplicaSet

logger = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 502, 503, 504})
# the whole request was refused before anything ran: halves of it may be accepted
SPLIT_STATUSES = frozenset({413, 422})
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
    # a replica that refused a connection, said 503 or vanished is skipped this long
    replica_rest_s: float = 5.0

    def __post_init__(self) -> None:
        if self.chunk_size < 1 or self.max_concurrency < 1:
            raise ValueError("chunk_size and max_concurrency must be >= 1")
        if self.max_retries < 0:
            raise ValueError("max_retries must be >= 0; use 0 for a single attempt")
        if not self.urls:
            raise ValueError(
                "url must name at least one reward service, e.g. http://127.0.0.1:8000"
            )

    @property
    def urls(self) -> tuple[str, ...]:
        """The replicas' base URLs (`url` may list several, separated by commas)."""
        return tuple(u.strip().rstrip("/") for u in self.url.split(",") if u.strip())

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
        self.replicas = ReplicaSet(self.config.urls)

    def with_options(self, **changes: Any) -> RewardClient:
        """A client with some config fields changed, e.g. `with_options(read_timeout_s=5)`;
        it shares this client's view of the replicas unless the URLs change."""
        client = RewardClient(replace(self.config, **changes), transport=self._transport)
        if client.config.urls == self.config.urls:
            client.replicas = self.replicas
        return client

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
        """True when `GET /healthz` answers 200 within the connect timeout (on any replica)."""
        wait_s = self.config.connect_timeout_s
        async with self._http() as http:
            for url in self.replicas.urls:
                try:
                    response = await http.get(url + "/healthz", timeout=wait_s)
                except httpx.HTTPError:
                    continue
                if response.status_code == 200:
                    return True
        return False

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
        where = self.replicas.urls[0]
        for attempt in range(attempts):
            # a replica that is down is skipped at once, without spending a retry
            for _ in range(len(self.replicas)):
                outcome = await self._post_once(http, path, body, len(chunk), retry_read_timeouts)
                where, results, problem, verdict, retry_after = outcome
                if results is not None:
                    return results
                if verdict != "failover" or not self.replicas.awake():
                    break
                logger.info("reward service %s%s: %s; trying another replica", where, path, problem)
            if verdict == "split" and len(chunk) > 1:
                # refused as a whole (422/413: nothing ran), so halves are safe to send: one bad
                # item must not cost the others their rewards
                half = len(chunk) // 2
                first, second = await asyncio.gather(
                    self._post_chunk(http, path, chunk[:half], options, retry_read_timeouts),
                    self._post_chunk(http, path, chunk[half:], options, retry_read_timeouts),
                )
                return first + second
            if verdict in ("final", "split"):
                break
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
            where,
            path,
            len(chunk),
            attempt + 1,
            problem,
        )
        return [None] * len(chunk)

    async def _post_once(
        self,
        http: httpx.AsyncClient,
        path: str,
        body: dict[str, Any],
        expected: int,
        retry_read_timeouts: bool,
    ) -> tuple[str, list[Result | None] | None, str, str, float | None]:
        """One POST to the least busy replica: (url, results or None, problem, what next:
        "retry" | "failover" | "split" | "final", Retry-After seconds)."""
        with self.replicas.lease() as url:
            try:
                response = await http.post(url + path, json=body)
            except httpx.ReadTimeout as exc:
                problem = f"ReadTimeout after {self.config.read_timeout_s:g}s: {exc}"
                return url, None, problem, "retry" if retry_read_timeouts else "final", None
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:  # never reached it
                self.replicas.rest(url, self.config.replica_rest_s)
                return url, None, _describe(exc), "failover", None
            except httpx.TransportError as exc:  # write timeouts, resets, bad framing
                if isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError)):
                    self.replicas.rest(url, self.config.replica_rest_s)  # it went away
                return url, None, _describe(exc), "retry", None
            except (httpx.HTTPError, TypeError, ValueError) as exc:  # bad URL, unserialisable item
                return url, None, f"{type(exc).__name__}: {exc}", "final", None
        if response.status_code == 200:
            results = _results_of(response, expected)
            if results is not None:
                return url, results, "", "final", None
            return url, None, "malformed response body", "final", None
        problem = f"HTTP {response.status_code}: {response.text[:200]!r}"
        if response.status_code in SPLIT_STATUSES:
            return url, None, problem, "split", None
        if response.status_code == 500 and not _is_service_error(response):
            # a proxy in front of the service failed, e.g. Ray Serve's when the replica that
            # held the request died: the request is lost with it, so sending it again is safe
            return url, None, f"{problem} (from a proxy, not the service)", "retry", None
        if response.status_code not in RETRY_STATUSES:
            return url, None, problem, "final", None
        if response.status_code == 503:  # this replica cannot score now: others may
            self.replicas.rest(url, self.config.replica_rest_s)
            if self.replicas.awake():
                return url, None, problem, "failover", None
        return url, None, problem, "retry", _parse_retry_after(response.headers.get("Retry-After"))

    def _backoff_s(self, attempt: int, retry_after: float | None) -> float:
        cfg = self.config
        if retry_after is not None:
            return min(retry_after, cfg.backoff_max_s)
        ceiling = min(cfg.backoff_max_s, cfg.backoff_initial_s * 2.0**attempt)
        return ceiling * random.uniform(0.5, 1.0)  # jitter, not crypto


def _describe(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _is_service_error(response: httpx.Response) -> bool:
    """True for the reward service's own error body (`{"error": <code>, "detail": ...}`)."""
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, dict) and isinstance(body.get("error"), str)


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
