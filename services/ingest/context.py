"""What every HTTP source needs: the publisher, the Request-ID log and the body limits."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from services.ingest.content_encoding import decode_body
from services.ingest.errors import Unauthorized
from services.ingest.http import (
    JSON_TYPES,
    parse_json_object,
    read_body,
    read_wire_body,
    require_media_type,
)
from services.ingest.publisher import AckedPublisher
from services.ingest.request_log import RequestLog


@dataclass(frozen=True, kw_only=True)
class Inbound:
    publisher: AckedPublisher
    requests: RequestLog
    max_body_bytes: int
    max_decompressed_bytes: int

    async def body(self, request: Request) -> bytes:
        return await read_body(
            request, limit=self.max_body_bytes, inflated_limit=self.max_decompressed_bytes
        )

    async def wire_body(self, request: Request) -> bytes:
        """The body as sent, not inflated (what a signature covers)."""
        return await read_wire_body(request, limit=self.max_body_bytes)

    def inflate(self, request: Request, wire: bytes) -> bytes:
        return decode_body(
            wire, request.headers.get("content-encoding"), limit=self.max_decompressed_bytes
        )

    async def monitor_json(
        self, request: Request, token: str | None, *, variable: str, open_: bool
    ) -> dict[str, Any]:
        """A monitor's webhook body: one JSON object, sent with ``Authorization: Bearer`` the
        token named ``variable`` unless the endpoint is ``open_`` with no token set."""
        if token or not open_:
            require_bearer(request, token, variable=variable)
        body = await self.body(request)
        require_media_type(request, JSON_TYPES, missing_ok=True)
        return parse_json_object(body)


def require_bearer(request: Request, token: str | None, *, variable: str) -> None:
    """``Authorization: Bearer <token>`` must match ``token``; no token configured refuses all."""
    challenge = {"WWW-Authenticate": "Bearer"}
    if not token:
        raise Unauthorized(f"{variable} is not set on the server; this endpoint is disabled")
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        raise Unauthorized(
            "missing bearer token",
            details=[{"field": "Authorization", "error": "send Authorization: Bearer <token>"}],
            headers=challenge,
        )
    if not hmac.compare_digest(given.strip().encode(), token.encode()):
        raise Unauthorized(
            "invalid bearer token",
            details=[{"field": "Authorization", "error": "the token does not match"}],
            headers=challenge,
        )
