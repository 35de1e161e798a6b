"""Pure ASGI middleware (cheaper than BaseHTTPMiddleware on the hot path)."""

from __future__ import annotations

import json
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reward_service.metrics import Metrics

# Paths with their own label; anything else is counted as "other" so a scanner hitting random
# URLs cannot blow up the metric's cardinality.
_KNOWN_PATHS = frozenset(
    {"/math", "/format", "/score", "/code", "/healthz", "/metrics", "/docs", "/openapi.json"}
)


class BodyLimitMiddleware:
    """413 for bodies over `max_body_bytes`, by Content-Length or while streaming."""

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length":
                try:
                    too_big = int(value) > self.max_body_bytes
                except ValueError:
                    too_big = False
                if too_big:
                    await self._reject(send)
                    return
        received = 0
        started = False
        rejected = False

        async def limited_receive() -> Message:
            # Raising here would reach FastAPI's body reader, which turns any error into a 400;
            # instead answer 413 ourselves and tell the app the client went away.
            nonlocal received, rejected
            if rejected:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    rejected = True
                    if not started:
                        await self._reject(send)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if rejected:
                return  # the 413 already went out
            started = started or message["type"] == "http.response.start"
            await send(message)

        await self.app(scope, limited_receive, guarded_send)

    async def _reject(self, send: Send) -> None:
        body = json.dumps(
            {
                "error": "request_too_large",
                "detail": f"request body is over {self.max_body_bytes} bytes "
                "(REWARD_MAX_BODY_BYTES); split the batch into smaller requests",
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"connection", b"close")],
            }
        )
        await send({"type": "http.response.body", "body": body})


class MetricsMiddleware:
    """Counts requests and records latency per path."""

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
            self.metrics.in_flight.dec()
            self.metrics.latency.labels(path).observe(time.perf_counter() - start)
            self.metrics.requests.labels(path, str(code)).inc()
