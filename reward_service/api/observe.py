"""Per-request observability: Prometheus metrics and one structured JSON log line.

Routes describe their batch with `record_batch`; the middleware adds timing and the status
code and writes the line. Completion text is never logged.
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from collections.abc import Iterable

from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reward_service.metrics import Metrics

access_log = logging.getLogger("reward_service.access")

# Paths with their own label; anything else is counted as "other" so a scanner hitting random
# URLs cannot blow up the metric's cardinality.
_KNOWN_PATHS = frozenset(
    {"/math", "/format", "/score", "/code", "/healthz", "/metrics", "/docs", "/openapi.json"}
)


def record_batch(request: Request, endpoint: str, items: int, statuses: Iterable[str]) -> None:
    """Count a scored batch's statuses and attach them to the request's log line."""
    tally = Counter(statuses)
    metrics: Metrics = request.app.state.metrics
    metrics.count_items(endpoint, tally)
    request.state.batch = {"items": items, "statuses": dict(tally)}


class ObserveMiddleware:
    """Counts requests, records latency per path and logs one JSON line per request."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"] if scope["path"] in _KNOWN_PATHS else "other"
        code = 500
        start = time.perf_counter()

        async def recording_send(message: Message) -> None:
            nonlocal code
            if message["type"] == "http.response.start":
                code = message["status"]
            await send(message)

        self.metrics.in_flight.inc()
        try:
            await self.app(scope, receive, recording_send)
        finally:
            elapsed_s = time.perf_counter() - start
            self.metrics.in_flight.dec()
            self.metrics.latency.labels(path).observe(elapsed_s)
            self.metrics.requests.labels(path, str(code)).inc()
            if access_log.isEnabledFor(logging.INFO):
                line = {
                    "event": "request",
                    "method": scope["method"],
                    "path": scope["path"][:200],
                    "status": code,
                    "duration_ms": round(elapsed_s * 1000, 2),
                    **scope.get("state", {}).get("batch", {}),
                }
                access_log.info(json.dumps(line))
