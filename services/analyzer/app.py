"""The analyzer service: consumes ``errors.raw``."""

from __future__ import annotations

import structlog
from faststream.middlewares import AckPolicy

from services.analyzer.intake import Accept, Rekey, intake
from shared.config import Settings
from shared.logging import bound_context
from shared.runner import Inbound, Service, Subscription
from shared.topics import ERRORS_RAW

log = structlog.get_logger(__name__)

NAME = "analyzer"


def create(settings: Settings) -> Service:
    service = Service(name=NAME, settings=settings)
    producer = service.producer

    async def on_raw(message: Inbound) -> None:
        decision = intake(message)
        event = decision.event
        with bound_context(
            event_id=event.id,
            correlation_id=event.correlationid,
            fingerprint=event.data.fingerprint,
        ):
            if isinstance(decision, Rekey):
                await producer.publish(ERRORS_RAW, event, key=event.data.fingerprint)
                log.info("re-keyed by fingerprint", previous_key=message.key_text)
                return
            assert isinstance(decision, Accept)
            log.info("raw error accepted", title=event.data.title, origin=event.data.origin)

    service.subscribe(
        Subscription(
            topic=ERRORS_RAW,
            group_id=f"{settings.kafka.group_prefix}-{NAME}",
            auto_offset_reset="earliest",
            ack_policy=AckPolicy.NACK_ON_ERROR,
            handler=on_raw,
        )
    )
    return service
