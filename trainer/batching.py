"""Coalesces per-sample reward calls into batches: what verl's and OpenRLHF's per-sample callers
need to get the service's batch speed.

    batcher = MicroBatcher(RewardClient())
    result = await batcher.score("math", {"completion": text, "answer": "42"}, {"mode": "gsm8k"})

Concurrent `score` calls for the same endpoint and options are queued and sent as one
`RewardClient.fetch` when `max_items` are waiting or `max_wait_ms` after the first one arrived,
whichever comes first. Each caller gets its own item's result dict, or `None` when the service
could not score that item (the client's failure policy: retries, replicas, `None` on failure);
one unscorable item never touches the other callers' results. A caller that is cancelled only
loses its own answer: its item has already been sent with the others.

Several event loops (verl runs reward functions on loops of its own, in several threads) each
get their own queues; synchronous callers (`score_sync`, from any thread) share one background
loop, so their calls are coalesced too.

>>> MicroBatcher(None, max_wait_ms=-1)  # type: ignore[arg-type]
Traceback (most recent call last):
...
ValueError: max_wait_ms must be >= 0 and max_items >= 1
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from trainer.client import Result, RewardClient

logger = logging.getLogger(__name__)


@dataclass
class _Pending:
    """Items waiting for one (endpoint, options) batch, and who waits for each."""

    endpoint: str
    options: dict[str, Any]
    retry_read_timeouts: bool
    items: list[Mapping[str, Any]] = field(default_factory=list)
    waiters: list[asyncio.Future[Result | None]] = field(default_factory=list)
    timer: asyncio.TimerHandle | None = None


class MicroBatcher:
    def __init__(
        self,
        client: RewardClient,
        *,
        max_wait_ms: float = 5.0,
        max_items: int = 256,
    ) -> None:
        if max_wait_ms < 0 or max_items < 1:
            raise ValueError("max_wait_ms must be >= 0 and max_items >= 1")
        self.client = client
        self.max_wait_s = max_wait_ms / 1000.0
        self.max_items = max_items
        # per event loop: the open batches by key, and the batches being sent
        self._open: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, dict[tuple[str, str, bool], _Pending]
        ] = weakref.WeakKeyDictionary()
        self._sending: set[asyncio.Task[None]] = set()
        self._sync_loop: asyncio.AbstractEventLoop | None = None
        self._sync_lock = threading.Lock()
        self.batches_sent = 0  # for tests and progress logs
        self.items_sent = 0

    async def score(
        self,
        endpoint: str,
        item: Mapping[str, Any],
        options: Mapping[str, Any] | None = None,
        *,
        retry_read_timeouts: bool = True,
    ) -> Result | None:
        """The service's result for `item`, sent in a batch with concurrent calls; or None."""
        loop = asyncio.get_running_loop()
        options = dict(options or {})
        key = (endpoint.strip("/"), json.dumps(options, sort_keys=True), retry_read_timeouts)
        batches = self._open.setdefault(loop, {})
        pending = batches.get(key)
        if pending is None:
            pending = batches[key] = _Pending(key[0], options, retry_read_timeouts)
            pending.timer = loop.call_later(self.max_wait_s, self._flush, loop, key)
        waiter: asyncio.Future[Result | None] = loop.create_future()
        pending.items.append(item)
        pending.waiters.append(waiter)
        if len(pending.items) >= self.max_items:
            self._flush(loop, key)
        return await waiter

    def score_sync(
        self,
        endpoint: str,
        item: Mapping[str, Any],
        options: Mapping[str, Any] | None = None,
        *,
        retry_read_timeouts: bool = True,
    ) -> Result | None:
        """`score` for synchronous callers (thread pools, Ray actors); callers in different
        threads are coalesced on one background event loop."""
        coro = self.score(endpoint, item, options, retry_read_timeouts=retry_read_timeouts)
        return asyncio.run_coroutine_threadsafe(coro, self._background_loop()).result()

    def _flush(self, loop: asyncio.AbstractEventLoop, key: tuple[str, str, bool]) -> None:
        pending = self._open.get(loop, {}).pop(key, None)
        if pending is None:
            return
        if pending.timer is not None:
            pending.timer.cancel()
        task = loop.create_task(self._send(pending))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def _send(self, pending: _Pending) -> None:
        self.batches_sent += 1
        self.items_sent += len(pending.items)
        try:
            results: list[Result | None] = await self.client.fetch(
                pending.endpoint,
                pending.items,
                pending.options,
                retry_read_timeouts=pending.retry_read_timeouts,
            )
        except Exception:  # the client never raises for service failures; a bug of ours might
            logger.exception("scoring a batch of %d items failed", len(pending.items))
            results = [None] * len(pending.items)
        for waiter, result in zip(pending.waiters, results, strict=True):
            if not waiter.done():  # a cancelled caller only loses its own answer
                waiter.set_result(result)

    def _background_loop(self) -> asyncio.AbstractEventLoop:
        with self._sync_lock:
            if self._sync_loop is None:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(
                    target=loop.run_forever, name="reward-micro-batcher", daemon=True
                )
                thread.start()
                self._sync_loop = loop
            return self._sync_loop

    def close(self) -> None:
        """Stops the background loop of `score_sync` (if one was started)."""
        with self._sync_lock:
            loop, self._sync_loop = self._sync_loop, None
        if loop is not None:
            loop.call_soon_threadsafe(loop.stop)
