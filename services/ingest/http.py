"""HTTP plumbing shared by every source: body limits, content types, JSON, error answers, metrics.

Handlers are wrapped by :func:`endpoint`: an :class:`~services.ingest.errors.IngestError` becomes
``{"error": ..., "details": [{"field", "error"}]}`` with its status; a pydantic validation error
that slipped past a normaliser becomes a 422 naming the fields. Every request is counted by
source and outcome.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field
from typing import Any

import structlog
from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from services.ingest import json_body
from services.ingest.content_encoding import decode_body
from services.ingest.errors import (
    IngestError,
    InvalidPayload,
    PayloadTooLarge,
    UnsupportedMediaType,
)
from services.ingest.metrics import REQUESTS, Source
from shared.events import describe_validation_error
from shared.http_body import BodyTooLarge, read_limited

log = structlog.get_logger(__name__)

JSON_TYPES = frozenset({"application/json"})


@dataclass(frozen=True)
class Answer:
    """A successful answer: its JSON body, status and the outcome counted in the metrics."""

    body: dict[str, Any] = field(default_factory=dict)
    outcome: str = "accepted"
    status: int = 202


Handler = Callable[[Request], Awaitable[Answer]]


def error_response(exc: IngestError) -> JSONResponse:
    body: dict[str, Any] = {"error": exc.error}
    if exc.details:
        body["details"] = exc.details
    return JSONResponse(body, status_code=exc.status, headers=exc.headers)


def endpoint(source: Source) -> Callable[[Handler], Callable[[Request], Awaitable[Response]]]:
    def wrap(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        @functools.wraps(handler)
        async def run(request: Request) -> Response:
            try:
                answer = await handler(request)
            except ValidationError as exc:
                problem: IngestError = InvalidPayload(
                    "invalid payload", details=describe_validation_error(exc)
                )
            except IngestError as exc:
                problem = exc
            else:
                REQUESTS.labels(source, answer.outcome).inc()
                return JSONResponse(answer.body, status_code=answer.status)
            REQUESTS.labels(source, problem.outcome).inc()
            log.info(
                "request refused",
                source=source,
                status=problem.status,
                error=problem.error,
                details=problem.details,
            )
            return error_response(problem)

        return run

    return wrap


def media_type(request: Request) -> str | None:
    value = request.headers.get("content-type")
    if not value:
        return None
    return value.split(";", 1)[0].strip().lower() or None


def require_media_type(
    request: Request, allowed: Collection[str], *, missing_ok: bool = False
) -> None:
    kind = media_type(request)
    if kind is None and missing_ok:
        return
    if kind not in allowed:
        raise UnsupportedMediaType(
            f"unsupported Content-Type {kind or '(none)'}",
            details=[{"field": "Content-Type", "error": f"use {' or '.join(sorted(allowed))}"}],
        )


async def read_body(request: Request, *, limit: int, inflated_limit: int) -> bytes:
    """The body, inflated; 413 past ``limit`` bytes on the wire or ``inflated_limit`` inflated."""
    body = await read_wire_body(request, limit=limit)
    return decode_body(body, request.headers.get("content-encoding"), limit=inflated_limit)


async def read_wire_body(request: Request, *, limit: int) -> bytes:
    """The body as sent (not inflated); 413 past ``limit`` bytes, checked before buffering."""
    try:
        return await read_limited(request, limit)
    except BodyTooLarge as exc:
        raise PayloadTooLarge(str(exc)) from None


def parse_json(body: bytes) -> Any:
    return json_body.loads(body)


def parse_json_object(body: bytes) -> dict[str, Any]:
    value = parse_json(body)
    if not isinstance(value, dict):
        raise InvalidPayload(
            "the body must be a JSON object",
            details=[{"field": "(body)", "error": f"got a JSON {type(value).__name__}"}],
        )
    return value
