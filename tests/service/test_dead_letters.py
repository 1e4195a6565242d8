"""Retries and dead letters of the shared runner, on the real broker.

A transient failure is redelivered and then handled; a permanent one is dead-lettered with its
reason; a transient one past the retry bound is dead-lettered; when the dead-letter budget is spent
the consumer halts (unready) and commits nothing. Nothing is lost in any case.
"""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager

import httpx
import pytest

from shared.config import load_settings
from shared.errors import InvalidMessage
from shared.kafka.admin import ensure_topics
from shared.kafka.dlq import (
    H_ATTEMPTS,
    H_ERROR_CLASS,
    H_ERROR_REASON,
    H_SOURCE_OFFSET,
    H_SOURCE_TOPIC,
)
from shared.runner import Consumed, Service, each
from tests.kafka_helpers import produce, read_all, read_until

pytestmark = pytest.mark.broker


async def _topic(bootstrap: str) -> str:
    name = f"test-{os.urandom(4).hex()}"
    await ensure_topics(bootstrap, partitions=1, names=[name, name + ".dlq"])
    return name


@asynccontextmanager
async def running(
    bootstrap: str, topic: str, handler: Callable[[Consumed], Awaitable[None]], group: str
) -> AsyncIterator[Service]:
    settings = load_settings()
    service = Service(name="dlqtest", settings=settings)
    service.consume(topic, each(handler), group=group)
    app = service.asgi()
    async with service.lifespan(app):
        yield service


def _headers(record: object) -> dict[str, bytes]:
    return dict(record.headers)  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch: pytest.MonkeyPatch, kafka_bootstrap: str) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", kafka_bootstrap)
    monkeypatch.setenv("ALERTORCH_KAFKA__RETRY_BACKOFF_SECONDS", "0.05")
    monkeypatch.setenv("ALERTORCH_KAFKA__MAX_RETRY_BACKOFF_SECONDS", "0.2")
    monkeypatch.setenv("ALERTORCH_KAFKA__MAX_RETRIES", "3")


async def test_transient_failure_is_redelivered_then_handled(kafka_bootstrap: str) -> None:
    topic = await _topic(kafka_bootstrap)
    seen: Counter[bytes] = Counter()
    handled: list[bytes] = []

    async def handler(message: Consumed) -> None:
        assert message.value is not None
        seen[message.value] += 1
        if message.value == b"flaky" and seen[b"flaky"] <= 2:
            raise ConnectionError("downstream hiccup")
        handled.append(message.value)

    await produce(kafka_bootstrap, topic, [b"first", b"flaky", b"last"])
    async with running(kafka_bootstrap, topic, handler, f"g-{topic}"):
        for _ in range(200):
            if len(handled) == 3:
                break
            await asyncio.sleep(0.05)
    assert handled == [b"first", b"flaky", b"last"]  # order kept, nothing lost
    assert seen[b"flaky"] == 3
    dlq = await read_all(kafka_bootstrap, topic + ".dlq")
    assert dlq == []


async def test_permanent_failure_is_dead_lettered_and_consumer_goes_on(
    kafka_bootstrap: str,
) -> None:
    topic = await _topic(kafka_bootstrap)
    handled: list[bytes] = []
    seen: Counter[bytes] = Counter()

    async def handler(message: Consumed) -> None:
        assert message.value is not None
        seen[message.value] += 1
        if message.value.startswith(b"poison"):
            raise InvalidMessage("not JSON: Expecting value: line 1 column 1 (char 0)")
        handled.append(message.value)

    await produce(kafka_bootstrap, topic, [b"ok-1", b"poison-\xff", b"ok-2"])
    async with running(kafka_bootstrap, topic, handler, f"g-{topic}"):
        records = await read_until(kafka_bootstrap, topic + ".dlq", lambda r: len(r) >= 1)
        for _ in range(100):
            if len(handled) == 2:
                break
            await asyncio.sleep(0.05)
    assert handled == [b"ok-1", b"ok-2"]
    assert seen[b"poison-\xff"] == 1  # never retried
    assert len(records) == 1
    record = records[0]
    assert record.value == b"poison-\xff"  # original bytes
    headers = _headers(record)
    assert headers[H_ERROR_CLASS] == b"InvalidMessage"
    assert headers[H_ERROR_REASON].startswith(b"not JSON")
    assert headers[H_SOURCE_TOPIC] == topic.encode()
    assert headers[H_SOURCE_OFFSET] == b"1"


async def test_transient_failure_past_the_retry_bound_is_dead_lettered(
    kafka_bootstrap: str,
) -> None:
    topic = await _topic(kafka_bootstrap)
    seen: Counter[bytes] = Counter()

    async def handler(message: Consumed) -> None:
        assert message.value is not None
        seen[message.value] += 1
        if message.value == b"always-fails":
            raise TimeoutError("store did not answer")

    await produce(kafka_bootstrap, topic, [b"always-fails", b"after"])
    async with running(kafka_bootstrap, topic, handler, f"g-{topic}"):
        records = await read_until(kafka_bootstrap, topic + ".dlq", lambda r: len(r) >= 1)
        for _ in range(100):
            if seen[b"after"]:
                break
            await asyncio.sleep(0.05)
    assert seen[b"always-fails"] == 4  # first try + max_retries (3)
    assert seen[b"after"] == 1
    headers = _headers(records[0])
    assert headers[H_ERROR_CLASS] == b"TimeoutError"
    assert b"store did not answer" in headers[H_ERROR_REASON]


async def test_spent_dead_letter_budget_halts_without_losing_messages(
    kafka_bootstrap: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALERTORCH_KAFKA__DLQ_MAX_PER_MINUTE", "1")
    topic = await _topic(kafka_bootstrap)
    group = f"g-{topic}"

    async def broken(message: Consumed) -> None:
        raise InvalidMessage("every message fails after a bad deploy")

    await produce(kafka_bootstrap, topic, [b"a", b"b", b"c"])
    async with running(kafka_bootstrap, topic, broken, group) as service:
        await read_until(kafka_bootstrap, topic + ".dlq", lambda r: len(r) >= 1)
        for _ in range(100):
            if service.health.halted_reasons:
                break
            await asyncio.sleep(0.05)
        transport = httpx.ASGITransport(app=service.asgi())
        async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
            ready = await client.get("/readyz")
        assert ready.status_code == 503
        assert "dead-letter budget spent" in ready.json()["problems"]
    assert len(await read_all(kafka_bootstrap, topic + ".dlq")) == 1

    # The fixed consumer, same group, picks up exactly where the halted one stopped.
    handled: list[bytes] = []

    async def fixed(message: Consumed) -> None:
        assert message.value is not None
        handled.append(message.value)

    async with running(kafka_bootstrap, topic, fixed, group):
        for _ in range(200):
            if len(handled) >= 2:
                break
            await asyncio.sleep(0.05)
    assert handled == [b"b", b"c"]


async def test_a_poison_message_in_a_batch_of_500_goes_to_the_dlq_alone(
    kafka_bootstrap: str,
) -> None:
    """An atomic batch handler (one transaction per batch) fails on the whole batch: the rest
    of the batch still gets through, each message once, and only the poison one is
    dead-lettered."""
    topic = await _topic(kafka_bootstrap)
    values = [f"m-{i:03d}".encode() for i in range(500)]
    values[250] = b"poison"
    handled: Counter[bytes] = Counter()
    sizes: list[int] = []

    async def atomic(batch: Sequence[Consumed]) -> None:
        sizes.append(len(batch))
        if any(message.value == b"poison" for message in batch):
            raise RuntimeError("the batch's transaction failed")
        handled.update(message.value or b"" for message in batch)

    await produce(kafka_bootstrap, topic, values)
    settings = load_settings()
    service = Service(name="batchtest", settings=settings)
    service.consume(topic, atomic, group=topic)
    async with service.lifespan(service.asgi()):
        records = await read_until(kafka_bootstrap, topic + ".dlq", lambda r: len(r) >= 1)
        for _ in range(200):
            if sum(handled.values()) >= 499:
                break
            await asyncio.sleep(0.05)
    assert [r.value for r in records] == [b"poison"]
    assert _headers(records[0])[H_ATTEMPTS] == b"4"  # first try + 3 retries, alone
    assert set(handled) == set(values) - {b"poison"}
    assert max(handled.values()) == 1  # nothing handled twice
    assert max(sizes) > 1  # consumed in batches
