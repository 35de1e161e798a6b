"""Which reward-service replica gets the next request: least outstanding requests, skipping the
ones that just failed.

`ReplicaSet(urls)` is shared by every request a `RewardClient` sends, from any thread or event
loop. `lease()` picks the replica with the fewest requests in flight among those not resting
(ties go to the one used least recently, so an idle set is used round-robin) and counts the
request until it ends. `rest(url)` takes a replica out of rotation for a while after it refused
a connection or answered 503: it is drained, not forgotten, and comes back on its own when the
rest is over. When every replica is resting, the one that comes back first is used anyway, so a
single-URL client behaves exactly as before.

>>> replicas = ReplicaSet(["http://a:8000", "http://b:8000"])
>>> with replicas.lease() as first, replicas.lease() as second:
...     sorted([first, second])
['http://a:8000', 'http://b:8000']
>>> replicas.rest("http://a:8000", seconds=60)
>>> with replicas.lease() as url:
...     url
'http://b:8000'
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass
class _Replica:
    url: str
    outstanding: int = 0
    resting_until: float = 0.0
    last_used: int = 0


class ReplicaSet:
    def __init__(self, urls: Sequence[str]) -> None:
        if not urls:
            raise ValueError("at least one reward service URL is needed")
        self._replicas = [_Replica(url.rstrip("/")) for url in urls]
        self._lock = threading.Lock()
        self._ticks = itertools.count(1)

    @property
    def urls(self) -> list[str]:
        return [r.url for r in self._replicas]

    def __len__(self) -> int:
        return len(self._replicas)

    @contextmanager
    def lease(self) -> Iterator[str]:
        """The URL to send one request to; counted as outstanding until the block ends."""
        with self._lock:
            now = time.monotonic()
            awake = [r for r in self._replicas if r.resting_until <= now]
            if awake:
                replica = min(awake, key=lambda r: (r.outstanding, r.last_used))
            else:
                replica = min(self._replicas, key=lambda r: r.resting_until)
            replica.outstanding += 1
            replica.last_used = next(self._ticks)
        try:
            yield replica.url
        finally:
            with self._lock:
                replica.outstanding -= 1

    def rest(self, url: str, seconds: float) -> None:
        """Out of rotation for `seconds` (it refused a connection or said 503)."""
        with self._lock:
            for replica in self._replicas:
                if replica.url == url.rstrip("/"):
                    replica.resting_until = max(replica.resting_until, time.monotonic() + seconds)

    def awake(self) -> int:
        """Replicas in rotation now."""
        now = time.monotonic()
        with self._lock:
            return sum(r.resting_until <= now for r in self._replicas)

    def outstanding(self) -> dict[str, int]:
        with self._lock:
            return {r.url: r.outstanding for r in self._replicas}
