"""``POST /webhooks/datadog``: Datadog monitor notifications (Datadog's Webhooks integration).

Served when ``integrations.datadog.enabled``. Closed by default, like every endpoint: the bearer
DATADOG_WEBHOOK_TOKEN is required (a custom header of the Datadog webhook). Only
``integrations.datadog.allow_unauthenticated`` (for a private network) opens it without a token,
and the service warns about it at start. A delivery Datadog retries (the same notification, so
the same event id) is acknowledged as a duplicate and published once (the shared request log).
"""

from __future__ import annotations

from functools import partial
from typing import Final

from starlette.requests import Request
from starlette.routing import Route

from services.ingest.context import Inbound
from services.ingest.http import Answer, endpoint
from services.ingest.normalise.datadog import datadog_to_event

SOURCE: Final = "datadog"
PRODUCER: Final = "/alertorch/ingest/datadog"


def routes(inbound: Inbound, *, token: str | None, allow_unauthenticated: bool) -> list[Route]:
    @endpoint(SOURCE)
    async def datadog(request: Request) -> Answer:
        payload = await inbound.monitor_json(
            request, token, variable="DATADOG_WEBHOOK_TOKEN", open_=allow_unauthenticated
        )
        event = datadog_to_event(payload, producer=PRODUCER)
        if await inbound.requests.seen(SOURCE, event.id):  # Datadog retried a delivery
            return Answer({"status": "duplicate", "id": event.id}, "duplicate", 200)
        remember = partial(inbound.requests.remember, SOURCE, event.id)
        await inbound.publisher.publish([event], source=SOURCE, acked=remember)
        return Answer({"accepted": 1, "id": event.id, "fingerprint": event.data.fingerprint})

    return [Route("/webhooks/datadog", datadog, methods=["POST"])]
