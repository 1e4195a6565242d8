"""Publish ``RawError`` events to ``errors.raw`` under their fingerprint, awaiting the broker's ack.

A caller answers 2xx only after :meth:`AckedPublisher.publish` returned. When the broker does not
acknowledge within the timeout, :class:`~services.ingest.errors.NotAcknowledged` (503 with
``Retry-After``) is raised: nothing is promised and the sender retries. The producer does not
give up the send with the wait: it may still reach the topic (a broker that froze and came
back). So that a refused request is not published again by each of its retries:

- an event still in flight is not sent twice: a retry (the same event id, derived from the
  request) waits on the send already made;
- a send the broker acknowledges after its request was refused still runs the request's
  ``acked`` step (remembering its Request-ID or Idempotency-Key), so a later retry is answered
  as a duplicate.

A retry that reaches another replica, or a sender without a request id, may still publish a
second copy; it has the same event id wherever the request has one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

import structlog
from aiokafka.errors import KafkaError

from services.ingest.errors import NotAcknowledged
from services.ingest.metrics import EVENTS_PUBLISHED, Source
from shared.events import Envelope, RawError
from shared.topics import ERRORS_RAW

log = structlog.get_logger(__name__)

#: What a request records once its events are acknowledged (its id in the request log).
Acked = Callable[[], Awaitable[None]]


class EventSink(Protocol):
    async def publish(self, topic: str, event: Envelope, *, key: str) -> None: ...


class AckedPublisher:
    """Publishes an event and returns once the broker acknowledged it, or raises
    :class:`~services.ingest.errors.NotAcknowledged` (a 503 with ``Retry-After``) in time."""

    def __init__(self, sink: EventSink, *, timeout: float, retry_after: int) -> None:
        self._sink = sink
        self._timeout = timeout
        self._retry_after = retry_after
        #: Sends not settled yet, by event id: as many as are in flight.
        self._in_flight: dict[str, asyncio.Future[None]] = {}
        #: Requests' settle steps, held until they finish (a refused one finishes late).
        self._settling: set[asyncio.Task[None]] = set()

    async def publish(
        self, events: Sequence[RawError], *, source: Source, acked: Acked | None = None
    ) -> None:
        """Publish ``events``, wait for the broker's acknowledgement, then run ``acked``."""
        created = [e for e in {e.id: e for e in events}.values() if e.id not in self._in_flight]
        for event in created:
            self._in_flight[event.id] = asyncio.ensure_future(
                self._sink.publish(ERRORS_RAW, event, key=event.data.fingerprint)
            )
        sends = asyncio.gather(*(self._in_flight[e.id] for e in events))
        settled = asyncio.create_task(self._settle(sends, created, source, acked))
        self._settling.add(settled)
        settled.add_done_callback(self._settled)
        try:
            await asyncio.wait_for(asyncio.shield(sends), self._timeout)
        except (TimeoutError, KafkaError, RuntimeError) as exc:
            log.warning("broker did not acknowledge", source=source, error=repr(exc))
            raise NotAcknowledged(
                "the broker did not acknowledge the event in time; nothing was accepted, retry "
                "later",
                headers={"Retry-After": str(self._retry_after)},
            ) from None
        await asyncio.shield(settled)

    async def _settle(
        self,
        sends: asyncio.Future[list[None]],
        created: list[RawError],
        source: Source,
        acked: Acked | None,
    ) -> None:
        """Once the broker answered, in time or not: count and log what this request sent,
        run ``acked`` if everything was acknowledged, and let the events be sent again."""
        try:
            try:
                await sends
            except Exception:  # noqa: BLE001 - the request's answer (503, 500) reports it
                return
            EVENTS_PUBLISHED.labels(source).inc(len(created))
            for event in created:
                log.info(
                    "published",
                    source=source,
                    event_id=event.id,
                    fingerprint=event.data.fingerprint,
                    title=event.data.title,
                )
            if acked is not None:
                await acked()
        finally:
            for event in created:
                self._in_flight.pop(event.id, None)

    def _settled(self, task: asyncio.Task[None]) -> None:
        self._settling.discard(task)
        if not task.cancelled() and (exc := task.exception()) is not None:
            log.error("could not record an acknowledged request", error=repr(exc))
