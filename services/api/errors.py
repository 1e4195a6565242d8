"""One error body for every failure: ``{"error": {"code": ..., "message": ...}}`` (and
``details`` for invalid requests), and the request size limit.

Codes: ``unauthorized`` (401), ``forbidden`` (403), ``not_found`` (404),
``method_not_allowed`` (405), ``conflict`` (409), ``payload_too_large`` (413),
``invalid_request`` (400, 422), ``broker_unavailable`` (503), ``internal`` (500).
"""

from __future__ import annotations

from typing import Any, Final

import structlog
from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = structlog.get_logger(__name__)

#: The largest request body accepted, in bytes.
MAX_BODY_BYTES: Final = 64 * 1024

CODES: Final = {
    400: "invalid_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    422: "invalid_request",
    503: "broker_unavailable",
}


class ApiError(HTTPException):
    """An error answered with its own code and message."""

    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(status_code=status, detail=message, headers=headers)
        self.code = code


class BodyTooLarge(ApiError):
    def __init__(self, limit: int) -> None:
        super().__init__(413, "payload_too_large", f"the request body is over {limit} bytes")


def body(code: str, message: str, **more: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, **more}}


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = exc.code if isinstance(exc, ApiError) else CODES.get(exc.status_code, "http_error")
    message = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    return JSONResponse(
        body(code, message), status_code=exc.status_code, headers=getattr(exc, "headers", None)
    )


async def _invalid(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    details = [
        {
            "field": ".".join(str(part) for part in error.get("loc", ())),
            "error": str(error.get("msg", "")),
        }
        for error in exc.errors()
    ]
    message = "; ".join(f"{d['field']}: {d['error']}" for d in details) or "invalid request"
    return JSONResponse(body("invalid_request", message, details=details), status_code=422)


async def _internal(_: Request, exc: Exception) -> JSONResponse:
    log.error("request failed", error=repr(exc))
    return JSONResponse(body("internal", "internal error"), status_code=500)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(Exception, _internal)


class LimitBody:
    """ASGI middleware: a declared ``Content-Length`` over ``limit`` is answered 413 before the
    body is read; a body found over it while being read fails the request with 413 too."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name != b"content-length":
                continue
            if not value.isdigit():
                refusal = JSONResponse(
                    body("invalid_request", "Content-Length is not a number"), status_code=400
                )
            elif int(value) > self.limit:
                refusal = JSONResponse(
                    body("payload_too_large", f"the request body is over {self.limit} bytes"),
                    status_code=413,
                )
            else:
                break
            await refusal(scope, receive, send)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise BodyTooLarge(self.limit)
            return message

        await self.app(scope, limited, send)
