"""A DSN-compatible endpoint, so any Sentry SDK can send its events straight to us.

``POST /api/<project_id>/envelope/`` takes envelopes; the legacy ``POST /api/<project_id>/store/``
takes one event (JSON, or base64 of zlib-deflated JSON as old SDKs send it). The public key
comes from ``X-Sentry-Auth``, ``Authorization: Sentry ...``, the ``sentry_key`` query parameter or
the envelope header's ``dsn``; it must be one of INGEST_DSN_KEYS (401 without a key, 403 for an
unknown one). ``event`` items are published; every other item type is ignored.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping
from typing import Any, Final

from starlette.requests import Request
from starlette.routing import Route

from services.ingest.content_encoding import decode_body
from services.ingest.context import Inbound
from services.ingest.dsn_auth import key_accepted, public_key
from services.ingest.envelope import parse_envelope
from services.ingest.errors import BadRequest, Forbidden, InvalidPayload, Unauthorized
from services.ingest.http import Answer, endpoint, parse_json, require_media_type
from services.ingest.normalise.common import text
from services.ingest.normalise.sentry_event import event_to_raw
from shared.events import RawError, derived_event_id

SOURCE: Final = "sentry_sdk"
PRODUCER: Final = "/alertorch/ingest/sentry-sdk"
ENVELOPE_TYPES: Final = frozenset(
    {"application/x-sentry-envelope", "text/plain", "application/octet-stream"}
)
STORE_TYPES: Final = frozenset({"application/json", "text/plain", "application/octet-stream"})


def _check_key(key: str | None, accepted: frozenset[str]) -> None:
    if key is None:
        raise Unauthorized(
            "missing DSN public key",
            details=[
                {
                    "field": "X-Sentry-Auth",
                    "error": "send X-Sentry-Auth: Sentry sentry_key=<key>, or ?sentry_key=<key>",
                }
            ],
        )
    if not key_accepted(key, accepted):
        raise Forbidden(
            "unknown DSN public key",
            details=[{"field": "sentry_key", "error": "not one of the keys in INGEST_DSN_KEYS"}],
        )


def event_from_payload(payload: Any, *, project: str, fallback_id: str, field: str) -> RawError:
    if not isinstance(payload, Mapping):
        raise InvalidPayload(
            "an event must be a JSON object", details=[{"field": field, "error": "not an object"}]
        )
    sdk_event_id = text(payload.get("event_id"), 128) or fallback_id
    return event_to_raw(
        payload,
        origin="sentry_sdk",
        producer=PRODUCER,
        event_id=derived_event_id(SOURCE, project, sdk_event_id),
        project=project,
    )


def decode_store_body(body: bytes, *, limit: int) -> Any:
    """JSON, or base64 of zlib-deflated JSON (legacy SDKs)."""
    if body.lstrip()[:1] in (b"{", b"["):
        return parse_json(body)
    try:
        packed = base64.b64decode(body, validate=False)
    except (binascii.Error, ValueError):
        raise BadRequest("the body is neither JSON nor base64-encoded deflate") from None
    return parse_json(decode_body(packed, "deflate", limit=limit))


def routes(inbound: Inbound, *, dsn_keys: frozenset[str]) -> list[Route]:
    @endpoint(SOURCE)
    async def envelope(request: Request) -> Answer:
        project = str(request.path_params["project_id"])
        header_key = public_key(request.headers, request.query_params, {})
        if header_key is not None:
            _check_key(header_key, dsn_keys)
        require_media_type(request, ENVELOPE_TYPES, missing_ok=True)
        body = await inbound.body(request)
        parsed = parse_envelope(body)
        if header_key is None:
            _check_key(public_key({}, {}, parsed.header), dsn_keys)
        envelope_id = text(parsed.header.get("event_id"), 128)
        events = []
        for index, item in enumerate(parsed.items):
            if item.type != "event":
                continue
            field = f"items[{index}].payload"
            try:
                payload = parse_json(item.payload)
            except BadRequest as exc:
                raise BadRequest(
                    "malformed envelope", details=[{"field": field, "error": exc.error}]
                ) from None
            fallback = envelope_id or hashlib.sha256(item.payload).hexdigest()
            events.append(
                event_from_payload(payload, project=project, fallback_id=fallback, field=field)
            )
        await inbound.publisher.publish(events, source=SOURCE)
        if not events:
            return Answer({}, "ignored", 200)
        return Answer({"id": events[0].data.external_id or events[0].id}, status=200)

    @endpoint(SOURCE)
    async def store(request: Request) -> Answer:
        project = str(request.path_params["project_id"])
        _check_key(public_key(request.headers, request.query_params, {}), dsn_keys)
        require_media_type(request, STORE_TYPES, missing_ok=True)
        body = await inbound.body(request)
        payload = decode_store_body(body, limit=inbound.max_decompressed_bytes)
        fallback = hashlib.sha256(body).hexdigest()
        event = event_from_payload(payload, project=project, fallback_id=fallback, field="(body)")
        await inbound.publisher.publish([event], source=SOURCE)
        return Answer({"id": event.data.external_id or event.id}, status=200)

    return [
        Route("/api/{project_id:int}/envelope/", envelope, methods=["POST"]),
        Route("/api/{project_id:int}/store/", store, methods=["POST"]),
    ]
