"""The one producer each service publishes through: acks from all replicas, always awaited.

An event's offset is committed by its consumer only after :meth:`EventProducer.publish` (one
event) or :meth:`EventProducer.publish_many` (a batch's outputs, sent without waiting on each,
then every acknowledgement awaited) returned: the broker has every output.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Protocol

from aiokafka import AIOKafkaProducer

from shared.events import Envelope
from shared.metrics import MESSAGES_PUBLISHED

CONTENT_TYPE = b"application/cloudevents+json; charset=utf-8"
Headers = Sequence[tuple[str, bytes]]


@dataclass(frozen=True, slots=True)
class Output:
    """One event to publish: where, and under which key; ``value``, when given, is the event
    as :meth:`Envelope.to_json_bytes` wrote it already (sent as it is)."""

    topic: str
    event: Envelope
    key: str
    value: bytes | None = None


class Publisher(Protocol):
    """Where a step's outputs go: the service's :class:`EventProducer`, or a test's recorder."""

    async def publish_many(self, outputs: Sequence[Output]) -> None: ...


@asynccontextmanager
async def published_meanwhile(
    publisher: Publisher, outputs: Sequence[Output]
) -> AsyncIterator[None]:
    """Send ``outputs`` while the block runs; leaving the block waits for every
    acknowledgement, and raises if one was refused (after the block's own error, if any)."""
    sending = asyncio.ensure_future(publisher.publish_many(outputs)) if outputs else None
    try:
        yield
    finally:
        if sending is not None:
            await sending


def _headers(event: Envelope) -> list[tuple[str, bytes]]:
    return [
        ("content-type", CONTENT_TYPE),
        ("ce_type", event.type.encode()),
        ("ce_id", event.id.encode()),
    ]


class EventProducer:
    """Publishes events and raw records; start/stop with the service."""

    def __init__(
        self, *, bootstrap_servers: str, service: str, enable_idempotence: bool = False
    ) -> None:
        self.service = service
        self._options = {
            "bootstrap_servers": bootstrap_servers,
            "acks": "all",
            "enable_idempotence": enable_idempotence,
            # Sends are awaited one by one (offsets commit after acks): lingering only adds delay.
            "linger_ms": 0,
            "request_timeout_ms": 15000,
            "client_id": f"alertorch-{service}",
        }
        self._producer: AIOKafkaProducer | None = None

    async def start(self) -> None:
        """Connect (aiokafka needs a running event loop, so the client is made here)."""
        self._producer = AIOKafkaProducer(**self._options)
        await self._producer.start()

    async def stop(self) -> None:
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None

    async def publish(self, topic: str, event: Envelope, *, key: str) -> None:
        """Publish ``event`` keyed by ``key`` and wait for the broker's acknowledgement."""
        await self.send_raw(topic, event.to_json_bytes(), key=key.encode(), headers=_headers(event))

    async def publish_many(self, outputs: Sequence[Output]) -> None:
        """Send every output without waiting on each, then wait until the broker acknowledged
        them all (raises if any was refused)."""
        if self._producer is None:
            raise RuntimeError("EventProducer.start() was not called")
        pending = [
            await self._producer.send(
                out.topic,
                value=out.event.to_json_bytes() if out.value is None else out.value,
                key=out.key.encode(),
                headers=_headers(out.event),
            )
            for out in outputs
        ]
        await asyncio.gather(*pending)
        for topic, count in Counter(out.topic for out in outputs).items():
            MESSAGES_PUBLISHED.labels(self.service, topic).inc(count)

    async def send_raw(
        self, topic: str, value: bytes | None, *, key: bytes | None, headers: Headers
    ) -> None:
        """Write bytes as they are (used for dead letters) and wait for the acknowledgement."""
        if self._producer is None:
            raise RuntimeError("EventProducer.start() was not called")
        await self._producer.send_and_wait(topic, value=value, key=key, headers=list(headers))
        MESSAGES_PUBLISHED.labels(self.service, topic).inc()
