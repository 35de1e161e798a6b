"""Per-request observability: Prometheus metrics and one structured JSON log line.

Routes describe their batch with a `BatchRecorder`; the middleware adds timing and the status
code and writes the line. Completion text is never logged.
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from collections.abc import Collection, Iterable

from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reward_service.api.code_schemas import CodeResult
from reward_service.metrics import Metrics

access_log = logging.getLogger("reward_service.access")


class BatchRecorder:
    """Routes describe their scored batch with it (a dependency: `record: RecorderDep`)."""

    def __init__(self, request: Request, metrics: Metrics) -> None:
        self._request = request
        self._metrics = metrics

    def __call__(self, endpoint: str, items: int, statuses: Iterable[str]) -> None:
        """Counts the batch's statuses and attaches them to the request's log line."""
        tally = Counter(statuses)
        self._metrics.count_items(endpoint, tally)
        self._request.state.batch = {"items": items, "statuses": dict(tally)}

    def code_tests(self, results: Iterable[CodeResult | None]) -> None:
        """Counts where the batch's code tests were judged (`outside` or `inside`)."""
        tally: Counter[str] = Counter(
            t.judged_in for r in results if r is not None for t in r.tests if t.judged_in
        )
        self._metrics.count_code_tests(tally)
        if tally:
            self._request.state.batch["judged_in"] = dict(tally)


class ObserveMiddleware:
    """Counts requests, records latency per path and logs one JSON line per request.

    Paths get their own label only when they are the app's own (`known_paths`); anything else
    is counted as "other", so a scanner hitting random URLs cannot blow up the cardinality."""

    def __init__(self, app: ASGIApp, metrics: Metrics, known_paths: Collection[str]) -> None:
        self.app = app
        self.metrics = metrics
        self.known_paths = frozenset(known_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"] if scope["path"] in self.known_paths else "other"
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
