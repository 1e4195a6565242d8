"""Publish ``RawError`` events to ``errors.raw`` under their fingerprint, awaiting the broker's ack.

A caller answers 2xx only after :meth:`Publisher.publish` returned. When the broker does not
acknowledge within the timeout, :class:`~services.ingest.errors.NotAcknowledged` (503 with
``Retry-After``) is raised: nothing is promised and the sender retries. An event whose wait was
abandoned may still reach the topic later; event ids are derived from the request wherever a
redelivery is possible, so consumers drop the duplicate.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Protocol

import structlog
from aiokafka.errors import KafkaError

from services.ingest.errors import NotAcknowledged
from services.ingest.metrics import EVENTS_PUBLISHED, Source
from shared.events import Envelope, RawError
from shared.topics import ERRORS_RAW

log = structlog.get_logger(__name__)


class EventSink(Protocol):
    async def publish(self, topic: str, event: Envelope, *, key: str) -> None: ...


class Publisher:
    def __init__(self, sink: EventSink, *, timeout: float, retry_after: int) -> None:
        self._sink = sink
        self._timeout = timeout
        self._retry_after = retry_after

    async def publish(self, events: Sequence[RawError], *, source: Source) -> None:
        if not events:
            return
        sends = [self._sink.publish(ERRORS_RAW, e, key=e.data.fingerprint) for e in events]
        try:
            await asyncio.wait_for(asyncio.gather(*sends), self._timeout)
        except (TimeoutError, KafkaError, RuntimeError) as exc:
            log.warning("broker did not acknowledge", source=source, error=repr(exc))
            raise NotAcknowledged(
                "the broker did not acknowledge the event in time; nothing was accepted, retry "
                "later",
                headers={"Retry-After": str(self._retry_after)},
            ) from None
        EVENTS_PUBLISHED.labels(source).inc(len(events))
        for event in events:
            log.info(
                "published",
                source=source,
                event_id=event.id,
                fingerprint=event.data.fingerprint,
                title=event.data.title,
            )
