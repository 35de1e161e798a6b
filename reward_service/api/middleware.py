"""Pure ASGI middleware (cheaper than BaseHTTPMiddleware on the hot path).

Each answers its own errors with `errors.error_response`, the same renderer the app's handlers
use, so a 401, 413 or 429 from here looks like any other error.
"""

from __future__ import annotations

import hmac
from collections.abc import Collection

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reward_service.api.errors import Overloaded, RequestTooLarge, ServiceError, Unauthorized
from reward_service.api.errors import error_response as render


async def send_error(exc: ServiceError, scope: Scope, receive: Receive, send: Send) -> None:
    await render(exc)(scope, receive, send)


class AuthMiddleware:
    """Bearer-token check for every path but /healthz, compared in constant time."""

    def __init__(self, app: ASGIApp, api_key: str) -> None:
        self.app = app
        self.expected = f"Bearer {api_key}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] == "/healthz":
            await self.app(scope, receive, send)
            return
        given = next((v for k, v in scope["headers"] if k == b"authorization"), b"")
        if not hmac.compare_digest(given, self.expected):
            detail = "missing or wrong API key: send `Authorization: Bearer <REWARD_API_KEY>`"
            await send_error(Unauthorized(detail), scope, receive, send)
            return
        await self.app(scope, receive, send)


class ConcurrencyLimitMiddleware:
    """Bounded work in flight: past `max_requests` scoring requests, 429 with Retry-After.

    Rejecting early keeps memory bounded (no unbounded queue of parsed batches) and tells a
    client to back off; the trainer's client honours Retry-After.
    """

    def __init__(self, app: ASGIApp, max_requests: int, scoring_paths: Collection[str]) -> None:
        self.app = app
        self.max_requests = max_requests
        self.scoring_paths = frozenset(scoring_paths)
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] not in self.scoring_paths:
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.max_requests:
            detail = (
                f"{self.in_flight} scoring requests are already in flight "
                f"(REWARD_MAX_CONCURRENT_REQUESTS={self.max_requests}); retry after the delay"
            )
            await send_error(Overloaded(detail), scope, receive, send)
            return
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1


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
                    await self._reject(scope, receive, send)
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
                        await self._reject(scope, receive, send)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if rejected:
                return  # the 413 already went out
            started = started or message["type"] == "http.response.start"
            await send(message)

        await self.app(scope, limited_receive, guarded_send)

    async def _reject(self, scope: Scope, receive: Receive, send: Send) -> None:
        detail = (
            f"request body is over {self.max_body_bytes} bytes (REWARD_MAX_BODY_BYTES); "
            "split the batch into smaller requests"
        )
        too_large = RequestTooLarge(detail, headers={"connection": "close"})
        await send_error(too_large, scope, receive, send)
