"""``POST /webhooks/alert``: a custom alert (``title``, ``severity``, ``source`` and optional
``message``, ``environment``, ``tags``, ``dedup_key``, ``url``), guarded by ALERT_WEBHOOK_TOKEN.

An optional ``Idempotency-Key`` header makes retries safe: the event id derives from it, and a
key already published is answered 200 without a second event.
"""

from __future__ import annotations

from functools import partial
from typing import Final

from pydantic import ValidationError
from starlette.requests import Request
from starlette.routing import Route

from services.ingest.context import Inbound, require_bearer
from services.ingest.errors import InvalidPayload
from services.ingest.http import JSON_TYPES, Answer, endpoint, parse_json_object, require_media_type
from shared.events import CustomAlert, derived_event_id, describe_validation_error, new_event_id

SOURCE: Final = "custom"
PRODUCER: Final = "/alertorch/ingest/custom-alert"


def parse_alert(obj: dict[str, object]) -> CustomAlert:
    try:
        return CustomAlert.model_validate(obj)
    except ValidationError as exc:
        raise InvalidPayload(
            "invalid custom alert", details=describe_validation_error(exc)
        ) from None


def routes(inbound: Inbound, *, token: str | None) -> list[Route]:
    @endpoint(SOURCE)
    async def custom_alert(request: Request) -> Answer:
        require_bearer(request, token, variable="ALERT_WEBHOOK_TOKEN")
        body = await inbound.body(request)
        require_media_type(request, JSON_TYPES)
        alert = parse_alert(parse_json_object(body))
        key = request.headers.get("idempotency-key", "").strip()
        if key and await inbound.requests.seen(SOURCE, key):
            return Answer({"status": "duplicate", "idempotency_key": key}, "duplicate", 200)
        event_id = derived_event_id(SOURCE, key) if key else new_event_id()
        event = alert.lift(origin="custom", producer=PRODUCER, event_id=event_id)
        remember = partial(inbound.requests.remember, SOURCE, key) if key else None
        await inbound.publisher.publish([event], source=SOURCE, acked=remember)
        return Answer({"accepted": 1, "id": event.id, "fingerprint": event.data.fingerprint})

    return [Route("/webhooks/alert", custom_alert, methods=["POST"])]
