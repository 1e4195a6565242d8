"""Ingest's publisher: a refused request's retries never send a second copy of an event still
in flight, and a send acknowledged after its 503 still records the request."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka.errors import KafkaConnectionError

from services.ingest.errors import NotAcknowledged
from services.ingest.publisher import AckedPublisher
from shared.events import Envelope, RawError, lift_custom_alert


class GatedSink:
    """A broker that acknowledges only once ``gate`` is set; counts the sends made to it."""

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.sent: list[str] = []
        self.fail_next = False

    async def publish(self, topic: str, event: Envelope, *, key: str) -> None:
        self.sent.append(event.id)
        if self.fail_next:
            self.fail_next = False
            raise KafkaConnectionError("connection refused")
        await self.gate.wait()


def _event(event_id: str = "ev-1") -> RawError:
    alert = {"title": "Disk full", "severity": "high", "source": "db"}
    return lift_custom_alert(alert, origin="custom", producer="/test", event_id=event_id)


async def test_a_retry_waits_on_the_send_in_flight_and_a_late_ack_records_the_request() -> None:
    sink = GatedSink()
    publisher = AckedPublisher(sink, timeout=0.05, retry_after=7)
    recorded: list[str] = []

    async def remember() -> None:
        recorded.append("key")

    for _ in range(3):  # the sender retries while the broker does not answer
        with pytest.raises(NotAcknowledged) as refused:
            await publisher.publish([_event()], source="custom", acked=remember)
        assert refused.value.headers == {"Retry-After": "7"}
    assert sink.sent == ["ev-1"], "a refused event was sent again"
    assert recorded == []
    sink.gate.set()  # the broker answers: the first send lands
    for _ in range(10):
        await asyncio.sleep(0)
    # each refused request records its key (an upsert): the next retry is a duplicate
    assert recorded == ["key"] * 3, "the late acknowledgement did not record the request"
    assert sink.sent == ["ev-1"]


async def test_a_retry_in_time_is_answered_by_the_first_send() -> None:
    sink = GatedSink()
    publisher = AckedPublisher(sink, timeout=0.05, retry_after=7)
    with pytest.raises(NotAcknowledged):
        await publisher.publish([_event()], source="custom")
    retry = asyncio.create_task(publisher.publish([_event()], source="custom"))
    await asyncio.sleep(0)
    sink.gate.set()
    await retry
    assert sink.sent == ["ev-1"]


async def test_a_send_the_broker_refused_is_sent_again_by_the_retry() -> None:
    sink = GatedSink()
    sink.gate.set()
    sink.fail_next = True
    publisher = AckedPublisher(sink, timeout=1.0, retry_after=7)
    recorded: list[str] = []

    async def remember() -> None:
        recorded.append("key")

    with pytest.raises(NotAcknowledged):
        await publisher.publish([_event()], source="custom", acked=remember)
    await publisher.publish([_event()], source="custom", acked=remember)
    assert sink.sent == ["ev-1", "ev-1"]
    assert recorded == ["key"]
