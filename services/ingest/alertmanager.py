"""``POST /webhooks/alertmanager``: Prometheus Alertmanager's webhook receiver (version 4).

Closed by default, like every endpoint: the bearer ALERT_WEBHOOK_TOKEN is required
(Alertmanager's ``http_config.authorization``). Only ``ingest.alertmanager_allow_unauthenticated``
(for a private network) opens it without a token, and the service warns about it at start.
"""

from __future__ import annotations

from typing import Final

from starlette.requests import Request
from starlette.routing import Route

from services.ingest.context import Inbound
from services.ingest.http import Answer, endpoint
from services.ingest.normalise.alertmanager import alertmanager_to_events

SOURCE: Final = "alertmanager"
PRODUCER: Final = "/alertorch/ingest/alertmanager"


def routes(inbound: Inbound, *, token: str | None, allow_unauthenticated: bool) -> list[Route]:
    @endpoint(SOURCE)
    async def alertmanager(request: Request) -> Answer:
        payload = await inbound.monitor_json(
            request, token, variable="ALERT_WEBHOOK_TOKEN", open_=allow_unauthenticated
        )
        events = alertmanager_to_events(payload, producer=PRODUCER)
        await inbound.publisher.publish(events, source=SOURCE)
        return Answer({"accepted": len(events), "ids": [e.id for e in events]})

    return [Route("/webhooks/alertmanager", alertmanager, methods=["POST"])]
