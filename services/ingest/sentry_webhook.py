"""``POST /webhooks/sentry``: Sentry integration-platform webhooks.

Order of checks: body size on the wire (413, before buffering), ``Sentry-Hook-Signature`` over
the bytes as sent (401, before anything is inflated), a ``Request-ID`` or a signed body already
published within ``ingest.request_id_ttl_hours`` (200, nothing published: only the body is
signed, so a replay with a fresh Request-ID is caught by the body's digest), inflation (413),
JSON (400), ``Sentry-Hook-Resource`` and fields (400/422), publish (503 if the broker does not
ack), then the Request-ID and the body's digest are remembered.
"""

from __future__ import annotations

import hashlib
from typing import Final

from starlette.requests import Request
from starlette.routing import Route

from services.ingest.context import Inbound
from services.ingest.errors import BadRequest, Unauthorized
from services.ingest.http import JSON_TYPES, Answer, endpoint, parse_json_object, require_media_type
from services.ingest.normalise.sentry_webhook import webhook_to_events
from services.ingest.signature import signature_valid
from shared.events import derived_event_id

SOURCE: Final = "sentry_webhook"
BODIES: Final = "sentry_webhook_body"  # request log entries keyed by a signed body's SHA-256
PRODUCER: Final = "/alertorch/ingest/sentry-webhook"


def routes(inbound: Inbound, *, client_secret: str | None) -> list[Route]:
    @endpoint(SOURCE)
    async def sentry_webhook(request: Request) -> Answer:
        wire = await inbound.wire_body(request)
        if not client_secret:
            raise Unauthorized(
                "SENTRY_CLIENT_SECRET is not set on the server; webhooks are refused"
            )
        if not signature_valid(wire, request.headers.get("sentry-hook-signature"), client_secret):
            raise Unauthorized(
                "invalid webhook signature",
                details=[
                    {
                        "field": "Sentry-Hook-Signature",
                        "error": "missing, or not the HMAC-SHA256 of the body with the client "
                        "secret",
                    }
                ],
            )
        request_id = request.headers.get("request-id", "").strip()
        if request_id and await inbound.requests.seen(SOURCE, request_id):
            return Answer({"status": "duplicate", "request_id": request_id}, "duplicate", 200)
        digest = hashlib.sha256(wire).hexdigest()
        if await inbound.requests.seen(BODIES, digest):
            return Answer({"status": "duplicate", "body_sha256": digest}, "duplicate", 200)
        body = inbound.inflate(request, wire)
        require_media_type(request, JSON_TYPES, missing_ok=True)
        payload = parse_json_object(body)
        resource = request.headers.get("sentry-hook-resource", "").strip()
        if not resource:
            raise BadRequest(
                "missing Sentry-Hook-Resource header",
                details=[
                    {
                        "field": "Sentry-Hook-Resource",
                        "error": "required: issue, event_alert, error or metric_alert",
                    }
                ],
            )
        identity = request_id or digest
        result = webhook_to_events(
            resource,
            payload,
            event_id=derived_event_id(SOURCE, identity),
            producer=PRODUCER,
        )

        async def remember() -> None:
            if request_id:
                await inbound.requests.remember(SOURCE, request_id)
            await inbound.requests.remember(BODIES, digest)

        await inbound.publisher.publish(result.events, source=SOURCE, acked=remember)
        if result.ignored:
            return Answer({"accepted": 0, "ignored": result.ignored}, "ignored", 200)
        return Answer({"accepted": len(result.events), "ids": [e.id for e in result.events]})

    return [Route("/webhooks/sentry", sentry_webhook, methods=["POST"])]
