"""Every non-2xx answer: one exception tree, rendered in one place.

    ServiceError                    status  `error` code
    ├── InvalidRequest              422     invalid_request
    ├── Unauthorized                401     unauthorized
    ├── NotFound                    404     not_found
    ├── MethodNotAllowed            405     method_not_allowed
    ├── RequestTooLarge             413     request_too_large
    ├── Overloaded                  429     overloaded        (+ Retry-After)
    ├── Unavailable                 503     unavailable
    │   └── SandboxNotRunning       503     unavailable       (says how to enable /code)
    ├── InternalError               500     internal_error
    └── OtherHTTPError              (any)   http_error        (a status the framework raised)

Routes and dependencies raise these; the pure-ASGI middleware renders them with the same
`error_response`; framework errors (validation, routing, unreadable bodies) and unexpected
exceptions are translated into them by the handlers `install` adds. User input never produces a
500: an unexpected exception is logged with its traceback and answered as a bug to report.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

logger = logging.getLogger(__name__)

_MAX_LISTED = 10
RETRY_AFTER_S = 1


class ServiceError(Exception):
    status: int = 500
    code: str = "internal_error"
    default_headers: ClassVar[Mapping[str, str]] = {}

    def __init__(
        self,
        detail: str,
        *,
        headers: Mapping[str, str] | None = None,
        errors: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = {**self.default_headers, **(headers or {})}
        self.errors = errors  # for 422: each invalid field's location, message and type


class InvalidRequest(ServiceError):
    status, code = 422, "invalid_request"


class Unauthorized(ServiceError):
    status, code = 401, "unauthorized"
    default_headers: ClassVar[Mapping[str, str]] = {"www-authenticate": "Bearer"}


class NotFound(ServiceError):
    status, code = 404, "not_found"


class MethodNotAllowed(ServiceError):
    status, code = 405, "method_not_allowed"


class RequestTooLarge(ServiceError):
    status, code = 413, "request_too_large"


class Overloaded(ServiceError):
    status, code = 429, "overloaded"
    default_headers: ClassVar[Mapping[str, str]] = {"retry-after": str(RETRY_AFTER_S)}


class Unavailable(ServiceError):
    status, code = 503, "unavailable"


class SandboxNotRunning(Unavailable):
    """No code sandbox runs in this process; `reason` comes from its start-up."""

    def __init__(self, reason: str) -> None:
        super().__init__(
            f"no code sandbox: {reason}. To enable /code: run dockerd, build the image with "
            "scripts/build_images.sh, set REWARD_SANDBOX_BACKEND=docker and restart the service."
        )


class InternalError(ServiceError):
    status, code = 500, "internal_error"


class OtherHTTPError(ServiceError):
    """A status the framework raised that none of the above covers (kept, generic code)."""

    code = "http_error"

    def __init__(self, status: int, detail: str, headers: Mapping[str, str] | None) -> None:
        super().__init__(detail, headers=headers)
        self.status = status


_ANSWERS: tuple[type[ServiceError], ...] = (
    InvalidRequest,
    Unauthorized,
    NotFound,
    MethodNotAllowed,
    RequestTooLarge,
    Overloaded,
    Unavailable,
    InternalError,
)
_BY_STATUS = {cls.status: cls for cls in _ANSWERS}
ERROR_CODES = sorted({cls.code for cls in _BY_STATUS.values()} | {OtherHTTPError.code})


def error_response(exc: ServiceError) -> JSONResponse:
    """The JSON answer for `exc` (also an ASGI app: the middleware sends it as is)."""
    content: dict[str, Any] = {"error": exc.code, "detail": exc.detail}
    if exc.errors is not None:
        content["errors"] = exc.errors
    return JSONResponse(status_code=exc.status, content=content, headers=exc.headers)


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


def from_validation(exc: RequestValidationError) -> InvalidRequest:
    errors = list(exc.errors())
    # Echo locations and messages, never the offending input (it can be megabytes).
    compact = [
        {"loc": list(e.get("loc", ())), "msg": e.get("msg"), "type": e.get("type")}
        for e in errors[:100]
    ]
    return InvalidRequest(describe_validation_errors(errors), errors=compact)


def from_http_exception(exc: StarletteHTTPException) -> ServiceError:
    if exc.status_code == 400:
        # FastAPI answers 400 when the body cannot be read as JSON at all (for example nesting
        # too deep for the parser); to clients that is just another invalid body.
        return InvalidRequest(f"body is not valid JSON: {exc.detail}")
    cls = _BY_STATUS.get(exc.status_code)
    if cls is None:
        return OtherHTTPError(exc.status_code, str(exc.detail), exc.headers)
    return cls(str(exc.detail), headers=exc.headers)


def install(app: FastAPI) -> None:
    @app.exception_handler(ServiceError)
    async def on_service_error(_: Request, exc: ServiceError) -> JSONResponse:
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def on_validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(from_validation(exc))

    @app.exception_handler(StarletteHTTPException)
    async def on_http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return error_response(from_http_exception(exc))

    @app.exception_handler(Exception)
    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        logger.exception("unhandled error on %s %s", request.method, request.url.path)
        detail = (
            f"the service failed unexpectedly ({type(exc).__name__}); "
            "this is a bug: please report it with the service log"
        )
        return error_response(InternalError(detail))
