"""A service of the runner consuming one topic, and what its group committed, for tests on the
real broker."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from aiokafka import AIOKafkaConsumer, TopicPartition

from shared.config import load_settings
from shared.runner import Consumed, Service


@asynccontextmanager
async def consuming(name: str, topic: str, handled: list[int]) -> AsyncIterator[str]:
    """A service ``name`` consuming ``topic`` in its own group, which it yields; ``handled``
    gets each offset handled."""

    async def handler(batch: Sequence[Consumed]) -> None:
        handled.extend(m.offset for m in batch)

    service = Service(name=name, settings=load_settings())
    service.consume(topic, handler, group=topic)
    async with service.lifespan(service.asgi()):
        yield service.subscriptions[0].group_id


async def committed(bootstrap: str, group: str, topic: str) -> int | None:
    """The offset ``group`` committed on partition 0 of ``topic``, read without joining it."""
    reader = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    await reader.start()
    try:
        reader.assign([TopicPartition(topic, 0)])  # never joins the group
        offset: int | None = await reader.committed(TopicPartition(topic, 0))
        return offset
    finally:
        await reader.stop()
