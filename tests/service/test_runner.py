"""Background tasks and stop hooks of the service runner, on the real broker."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Sequence

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from shared.config import load_settings
from shared.kafka.admin import ensure_topics
from shared.runner import Consumed, Service, Subscription

pytestmark = pytest.mark.broker


async def test_a_failing_task_goes_on_and_only_repeated_failures_make_the_service_unready(
    kafka_bootstrap: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", kafka_bootstrap)
    service = Service(name="tasktest", settings=load_settings())
    ticks: list[int] = []
    polls: list[int] = []
    healthy = asyncio.Event()
    stopped: list[str] = []

    async def ticker() -> None:
        ticks.append(1)

    async def poller() -> None:
        polls.append(1)
        if not healthy.is_set():
            raise RuntimeError("poller lost its credentials")

    async def close_store() -> None:
        stopped.append("async")

    service.add_periodic("ticker", 0.01, ticker)
    service.add_periodic("poller", 0.01, poller)
    service.on_stop(lambda: stopped.append("sync"))
    service.on_stop(close_store)
    app = service.asgi()
    async with service.lifespan(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
            # however busy the machine: wait for failures, not for a fixed time
            unready = await _until(client, lambda r: r.status_code == 503 and len(polls) > 3)
            metrics = (await client.get("/metrics")).text
            counted = len(polls)
            healthy.set()
            ready = await _until(client, lambda r: r.status_code == 200)
        [problem] = unready.json()["problems"]
        assert "task poller failed" in problem
        assert "poller lost its credentials" in problem
        line = 'alertorch_background_failures_total{service="tasktest",task="poller"} '
        [recorded] = [float(x.split()[-1]) for x in metrics.splitlines() if x.startswith(line)]
        assert 3 < recorded <= counted  # the loop went on after each failure, counting each
        assert ready.status_code == 200, ready.json()
        assert ticks
    assert stopped == ["async", "sync"]  # reverse order of registration


async def _until(
    client: httpx.AsyncClient,
    done: Callable[[httpx.Response], bool],
    timeout: float = 30.0,
) -> httpx.Response:
    """``/readyz`` once ``done`` holds for its answer."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        answer = await client.get("/readyz")
        if done(answer) or asyncio.get_running_loop().time() > deadline:
            return answer
        await asyncio.sleep(0.02)


async def test_a_message_after_a_poll_that_found_nothing_is_handled_at_once(
    kafka_bootstrap: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A poll waits up to kafka.batch_max_wait_ms for a first message (1 s here, its largest, so
    # that what follows an empty poll stands apart from the broker's fetch wait); FastStream's
    # batch subscriber then slept as long again, and a message that came meanwhile waited.
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", kafka_bootstrap)
    monkeypatch.setenv("ALERTORCH_KAFKA__BATCH_MAX_WAIT_MS", "1000")
    topic = f"test-{os.urandom(4).hex()}"
    await ensure_topics(kafka_bootstrap, partitions=1, names=[topic])
    loop = asyncio.get_running_loop()
    handled: dict[bytes | None, float] = {}
    arrived = asyncio.Event()

    async def handler(batch: Sequence[Consumed]) -> None:
        handled.update((m.value, loop.time()) for m in batch)
        arrived.set()

    service = Service(name="polltest", settings=load_settings())
    service.consume(topic, handler, group=topic)
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    try:
        async with service.lifespan(service.asgi()):
            await producer.send_and_wait(topic, b"first")
            await asyncio.wait_for(arrived.wait(), 60)  # the group joined; the consumer is idle
            arrived.clear()
            # The poll that followed the first message found nothing after 1 s; 0.3 s into
            # what was FastStream's pause, the second comes (it waited 0.7 s there).
            await asyncio.sleep(1.3)
            sent = loop.time()
            await producer.send_and_wait(topic, b"second")
            await asyncio.wait_for(arrived.wait(), 10)
    finally:
        await producer.stop()
    assert handled[b"second"] - sent < 0.35, handled[b"second"] - sent


@pytest.mark.parametrize("gather_ms", [0, 500])
async def test_while_messages_flow_a_gathering_consumer_takes_them_in_few_batches(
    kafka_bootstrap: str, monkeypatch: pytest.MonkeyPatch, gather_ms: int
) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", kafka_bootstrap)
    topic = f"test-{os.urandom(4).hex()}"
    await ensure_topics(kafka_bootstrap, partitions=1, names=[topic])
    loop = asyncio.get_running_loop()
    batches: list[list[bytes | None]] = []
    handled: dict[bytes | None, float] = {}
    arrived = asyncio.Event()

    async def handler(batch: Sequence[Consumed]) -> None:
        batches.append([m.value for m in batch])
        handled.update((m.value, loop.time()) for m in batch)
        arrived.set()

    service = Service(name="gathertest", settings=load_settings())
    service.consume(topic, handler, group=topic, gather_ms=gather_ms)
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    flow = [f"flow-{n}".encode() for n in range(8)]
    try:
        async with service.lifespan(service.asgi()):
            await producer.send_and_wait(topic, b"warm")
            await asyncio.wait_for(arrived.wait(), 60)  # the group joined
            await asyncio.sleep(1.0)  # a quiet spell: the consumer's asks find nothing
            sent = loop.time()
            await producer.send_and_wait(topic, b"lone")
            for value in flow:  # then a flow, one message every 30 ms
                await asyncio.sleep(0.03)
                await producer.send_and_wait(topic, value)
            for _ in range(200):
                if all(value in handled for value in flow):
                    break
                await asyncio.sleep(0.05)
    finally:
        await producer.stop()
    assert all(value in handled for value in flow), batches
    # After a quiet spell a message is taken at once, gathering or not.
    assert handled[b"lone"] - sent < 0.2, handled[b"lone"] - sent
    flowing = [batch for batch in batches if any(value in flow for value in batch)]
    if gather_ms:  # what came within the gathering time after the lone one: one batch more
        assert len(flowing) <= 2, batches
    else:  # each message taken as it came
        assert len(flowing) >= 4, batches


def test_consumers_off_the_alert_path_poll_the_broker_less_often(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ALERTORCH_KAFKA__FETCH_MAX_WAIT_MS", "15")
    monkeypatch.setenv("ALERTORCH_KAFKA__BACKGROUND_FETCH_MAX_WAIT_MS", "400")
    monkeypatch.setenv("ALERTORCH_KAFKA__BULK_FETCH_MIN_BYTES", "4096")
    from services.api.app import create as console
    from services.notifier.app import create as notifier

    def fetches(subscriptions: Sequence[Subscription]) -> dict[str, tuple[int, int]]:
        return {s.label: (s.fetch_max_wait_ms, s.fetch_min_bytes) for s in subscriptions}

    # What is there is taken at once, except by the console's read model of every event: off
    # the alert path, it waits for a larger batch.
    notifier_subscriptions = notifier(load_settings()).subscriptions
    assert fetches(notifier_subscriptions) == {
        "resolutions": (15, 1),
        "notifications": (15, 1),
        "commands": (400, 1),
        "silences": (400, 1),
    }
    # The notifier, off the path to `resolutions`, gathers its input while it flows.
    gathering = {s.label: s.gather_ms for s in notifier_subscriptions}
    assert gathering == {"resolutions": 100, "notifications": 100, "commands": 0, "silences": 0}
    events, dead_letters = console(load_settings()).subscriptions
    assert "resolutions" in events.topics
    assert dead_letters.topics[0].endswith(".dlq")
    assert (events.fetch_max_wait_ms, events.fetch_min_bytes) == (400, 4096)
    assert (dead_letters.fetch_max_wait_ms, dead_letters.fetch_min_bytes) == (400, 1)
