"""Pure ASGI middleware (cheaper than BaseHTTPMiddleware on the hot path)."""

from __future__ import annotations

import hmac
import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

SCORING_PATHS = frozenset({"/math", "/format", "/score", "/code"})


async def send_json_error(
    send: Send, status: int, error: str, detail: str, headers: tuple[tuple[bytes, bytes], ...] = ()
) -> None:
    """Answer from inside a middleware with the same JSON shape as the app's errors."""
    body = json.dumps({"error": error, "detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), *headers],
        }
    )
    await send({"type": "http.response.body", "body": body})


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
            await send_json_error(
                send,
                401,
                "unauthorized",
                "missing or wrong API key: send `Authorization: Bearer <REWARD_API_KEY>`",
                ((b"www-authenticate", b"Bearer"),),
            )
            return
        await self.app(scope, receive, send)


class ConcurrencyLimitMiddleware:
    """Bounded work in flight: past `max_requests` scoring requests, 429 with Retry-After.

    Rejecting early keeps memory bounded (no unbounded queue of parsed batches) and tells a
    client to back off; the trainer's client honours Retry-After.
    """

    def __init__(self, app: ASGIApp, max_requests: int, retry_after_s: int = 1) -> None:
        self.app = app
        self.max_requests = max_requests
        self.retry_after = str(retry_after_s).encode()
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] not in SCORING_PATHS:
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.max_requests:
            await send_json_error(
                send,
                429,
                "overloaded",
                f"{self.in_flight} scoring requests are already in flight "
                f"(REWARD_MAX_CONCURRENT_REQUESTS={self.max_requests}); retry after the delay",
                ((b"retry-after", self.retry_after),),
            )
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
        await send_json_error(
            send,
            413,
            "request_too_large",
            f"request body is over {self.max_body_bytes} bytes (REWARD_MAX_BODY_BYTES); "
            "split the batch into smaller requests",
            ((b"connection", b"close"),),
        )
