"""``POST /webhooks/alertmanager``: Prometheus Alertmanager's webhook receiver (version 4).

Closed by default, like every endpoint: the bearer ALERT_WEBHOOK_TOKEN is required
(Alertmanager's ``http_config.authorization``). Only ``ingest.alertmanager_allow_unauthenticated``
(for a private network) opens it without a token, and the service warns about it at start.
"""

from __future__ import annotations

from typing import Final

from starlette.requests import Request
from starlette.routing import Route

from services.ingest.context import Inbound, require_bearer
from services.ingest.http import JSON_TYPES, Answer, endpoint, parse_json_object, require_media_type
from services.ingest.normalise.alertmanager import alertmanager_to_events

SOURCE: Final = "alertmanager"
PRODUCER: Final = "/alertorch/ingest/alertmanager"


def routes(inbound: Inbound, *, token: str | None, allow_unauthenticated: bool) -> list[Route]:
    @endpoint(SOURCE)
    async def alertmanager(request: Request) -> Answer:
        if token or not allow_unauthenticated:
            require_bearer(request, token, variable="ALERT_WEBHOOK_TOKEN")
        body = await inbound.body(request)
        require_media_type(request, JSON_TYPES, missing_ok=True)
        events = alertmanager_to_events(parse_json_object(body), producer=PRODUCER)
        await inbound.publisher.publish(events, source=SOURCE)
        return Answer({"accepted": len(events), "ids": [e.id for e in events]})

    return [Route("/webhooks/alertmanager", alertmanager, methods=["POST"])]
