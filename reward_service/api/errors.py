"""Error responses: every failure is JSON with an `error` code and a `detail` a person can act on.

User input never produces a 500: validation problems are 422, oversized input 413. An
unexpected exception is logged with its traceback and answered with a 500 that says so.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

logger = logging.getLogger(__name__)

_MAX_LISTED = 10


def _where(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p != "body"]
    return ".".join(parts) or "body"


def _describe(error: dict[str, Any]) -> str:
    if error.get("type") == "json_invalid":
        position = error.get("loc", ("body", "?"))[-1]
        reason = error.get("ctx", {}).get("error", "invalid JSON")
        return f"body is not valid JSON ({reason} at character {position})"
    return f"{_where(error.get('loc', ()))}: {error.get('msg', 'invalid')}"


def describe_validation_errors(errors: list[Any]) -> str:
    """`items.3.answer: Input should be a valid string; ...` (first ten)."""
    lines = [_describe(e) for e in errors[:_MAX_LISTED]]
    more = len(errors) - _MAX_LISTED
    if more > 0:
        lines.append(f"... and {more} more")
    return "; ".join(lines)


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def on_validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = list(exc.errors())
        # Echo locations and messages, never the offending input (it can be megabytes).
        compact = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg"), "type": e.get("type")}
            for e in errors[:100]
        ]
        return JSONResponse(
            status_code=422,
            content={
                "error": "invalid_request",
                "detail": describe_validation_errors(errors),
                "errors": compact,
            },
        )

    @app.exception_handler(StarletteHTTPException)
    async def on_http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400:
            # FastAPI answers 400 when the body cannot be read as JSON at all (for example
            # nesting too deep for the parser); to clients that is just another invalid body.
            return JSONResponse(
                status_code=422,
                content={
                    "error": "invalid_request",
                    "detail": f"body is not valid JSON: {exc.detail}",
                },
            )
        code = {
            401: "unauthorized",
            404: "not_found",
            405: "method_not_allowed",
            413: "request_too_large",
            422: "invalid_request",
            503: "unavailable",
        }.get(exc.status_code, "http_error")
        return JSONResponse(
            status_code=exc.status_code,
            content={"error": code, "detail": exc.detail},
            headers=exc.headers,
        )

    @app.exception_handler(Exception)
    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        logger.exception("unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse(
            status_code=500,
            content={
                "error": "internal_error",
                "detail": f"the service failed unexpectedly ({type(exc).__name__}); "
                "this is a bug: please report it with the service log",
            },
        )
