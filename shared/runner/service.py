"""A service: FastStream consumers with at-least-once delivery, one producer, an HTTP surface.

Lifecycle: start the producer, wait for the broker, start the subscribers, serve HTTP. On SIGTERM
or SIGINT, uvicorn stops taking requests and the lifespan shuts down: subscribers stop taking
messages, in-flight messages finish (up to ``kafka.graceful_timeout_seconds``) and commit, the
producer flushes, and the process exits 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import structlog
import uvicorn
from aiokafka import ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import IllegalStateError
from faststream.kafka import KafkaBroker
from faststream.kafka.message import KafkaMessage
from faststream.middlewares import AckPolicy
from sqlalchemy import Table
from starlette.applications import Starlette
from starlette.routing import BaseRoute

from shared.clock import SYSTEM_CLOCK, Clock
from shared.config import Settings
from shared.events import Command, Silence
from shared.kafka.admin import wait_for_broker
from shared.kafka.consumed import Consumed
from shared.kafka.dlq import DeadLetterPolicy, DlqBudget
from shared.kafka.producer import EventProducer
from shared.logging import bound_context
from shared.metrics import CONSUMER_READY, HANDLING_SECONDS, MESSAGES_CONSUMED
from shared.runner import heap
from shared.runner.batch import BatchHandler, handle_batch, rewind_to
from shared.runner.commits import Commits
from shared.runner.gaps import OffsetGaps
from shared.runner.health import HealthState, health_routes
from shared.runner.held import Held
from shared.runner.periodic import STOP_GRACE_SECONDS, Periodic, run_periodic
from shared.runner.polling import ask_for_batches
from shared.runner.typed import decoder, decoding
from shared.storage import Database
from shared.storage import silences as kept_silences
from shared.topics import COMMANDS, SILENCES

log = structlog.get_logger(__name__)

OffsetReset = Literal["earliest", "latest", "none"]


@dataclass(frozen=True, kw_only=True)
class Subscription:
    """One consumer (of one topic or several). Group, offset reset and ack policy are always
    stated, never defaulted."""

    topics: tuple[str, ...]
    group_id: str
    auto_offset_reset: OffsetReset
    ack_policy: AckPolicy
    handler: BatchHandler
    #: Longest a fetch waits on the broker for new messages (``kafka.fetch_max_wait_ms``, or
    #: ``kafka.background_fetch_max_wait_ms`` for a consumer off the alert path).
    fetch_max_wait_ms: int
    #: What a fetch waits to be there, up to ``fetch_max_wait_ms``: 1 (what is there is taken at
    #: once), or ``kafka.bulk_fetch_min_bytes`` for a bulk consumer off the alert path.
    fetch_min_bytes: int
    #: While messages flow, a batch is handed over this long after the last, holding what came
    #: meanwhile (``shared.runner.polling``): 0 on the alert path, ``notifier.batch_gather_ms``
    #: for the notifier's consumers.
    gather_ms: int = 0
    #: The partitions the consumer holds, refreshed before each batch (see :meth:`Service.held`).
    held: Held = field(default_factory=Held, compare=False)

    def __post_init__(self) -> None:
        if self.ack_policy is not AckPolicy.MANUAL:
            raise ValueError(
                f"subscriber on {self.label}: ack_policy must be MANUAL: the runner commits what "
                "each batch finished (shared.runner.commits), and the batch policy decides what "
                "is dead-lettered"
            )

    @property
    def label(self) -> str:
        """The topics, for metrics and logs: ``a`` or ``a,b``."""
        return ",".join(self.topics)


async def _undecoded(message: KafkaMessage) -> KafkaMessage:
    """FastStream's decoding of a batch: the message itself, whose records the handler decodes
    (``shared.runner.typed``). The default would parse every record's body first, unused."""
    return message


class _Rebalance(ConsumerRebalanceListener):  # type: ignore[misc]  # aiokafka is untyped
    """As partitions move: commit what the consumer finished, then forget their gaps."""

    def __init__(self, gaps: OffsetGaps, commits: Commits) -> None:
        self.gaps = gaps
        self.commits = commits

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        await self.commits.settle()
        await self.gaps.on_partitions_revoked(revoked)

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        await self.gaps.on_partitions_assigned(assigned)


async def _positions(consumer: Any, partitions: set[TopicPartition]) -> dict[TopicPartition, int]:
    """Where ``consumer`` goes on from in each of ``partitions`` it still holds."""
    positions = {}
    for tp in partitions:
        with contextlib.suppress(IllegalStateError):  # no longer assigned: not ours to commit
            positions[tp] = await consumer.position(tp)
    return positions


class _Server(uvicorn.Server):
    """uvicorn, minus re-raising the stop signal after a clean shutdown (so SIGTERM exits 0)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self.handle_exit, sig, None)
        try:
            yield
        finally:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)


class Service:
    """Build with a name and settings, add subscriptions and routes, then :meth:`serve`."""

    def __init__(self, *, name: str, settings: Settings, clock: Clock = SYSTEM_CLOCK) -> None:
        self.name = name
        self.clock = clock
        self.settings = settings
        self.health = HealthState(service=name)
        self.producer = EventProducer(
            bootstrap_servers=settings.kafka_bootstrap_servers,
            service=name,
            enable_idempotence=settings.kafka.enable_idempotence,
        )
        self._subscriptions: list[Subscription] = []
        self._routes: list[BaseRoute] = []
        self._tasks: list[Periodic] = []
        self._running: list[asyncio.Task[None]] = []
        self._on_stop: list[Callable[[], Awaitable[None] | None]] = []
        self._stopping = asyncio.Event()
        self._before_start: list[Callable[[], Awaitable[None]]] = []
        kafka = settings.kafka
        self.dead_letters = DeadLetterPolicy(
            service=name,
            sender=self.producer,
            max_retries=kafka.max_retries,
            backoff_seconds=kafka.retry_backoff_seconds,
            max_backoff_seconds=kafka.max_retry_backoff_seconds,
            budget=DlqBudget(kafka.dlq_max_per_minute),
            on_halt=lambda halted: self.health.set_halted("dead-letter budget spent", halted),
            clock=clock,
        )
        self.broker: KafkaBroker | None = None
        self._commits: list[Commits] = []

    @property
    def subscriptions(self) -> tuple[Subscription, ...]:
        return tuple(self._subscriptions)

    def subscribe(self, subscription: Subscription) -> None:
        self._subscriptions.append(subscription)

    def held(self, topic: str) -> Held:
        """The partitions the consumer of ``topic`` holds, as of the batch it is handling (one
        consumer of ``topic`` in this service, or this raises)."""
        [sub] = [s for s in self._subscriptions if topic in s.topics]
        return sub.held

    def consume(
        self,
        topics: str | Sequence[str],
        handler: BatchHandler,
        *,
        group: str = "",
        background: bool = False,
        bulk: bool = False,
        gather_ms: int = 0,
    ) -> None:
        """Consume ``topics`` (one or several, with one consumer) in batches, at least once, from
        the earliest offset a new group has, in the group ``<kafka.group_prefix>-<service>
        [-<group>]``. A batch from several topics may mix them (each message knows its own).
        ``background``: off the alert path (commands, silences, the console's read model), so
        its fetches wait ``kafka.background_fetch_max_wait_ms``: an idle consumer then asks the
        broker far less often. ``bulk`` (a background consumer of every event, such as the
        console's read model): its fetches also wait for ``kafka.bulk_fetch_min_bytes`` (up to
        that wait), so under load it reads larger batches; a consumer of a few messages
        (commands, silences) takes each at once. ``gather_ms``: while messages flow, a batch is
        handed over this long after the last, holding what came meanwhile
        (``shared.runner.polling``)."""
        kafka = self.settings.kafka
        wait = kafka.background_fetch_max_wait_ms if background else kafka.fetch_max_wait_ms
        least = kafka.bulk_fetch_min_bytes if background and bulk else 1
        name = "-".join(
            part for part in (self.settings.kafka.group_prefix, self.name, group) if part
        )
        self.subscribe(
            Subscription(
                topics=(topics,) if isinstance(topics, str) else tuple(topics),
                group_id=name,
                auto_offset_reset="earliest",
                ack_policy=AckPolicy.MANUAL,
                handler=handler,
                fetch_max_wait_ms=wait,
                fetch_min_bytes=least,
                gather_ms=gather_ms,
            )
        )

    def consume_commands(self, handler: Callable[[Sequence[Command]], Awaitable[None]]) -> None:
        """Consume ``commands`` (button presses, console actions) in batches, off the alert
        path, in the group ``…-commands``: ``handler`` gets each batch's commands in order."""

        async def commands(items: Sequence[tuple[Consumed, Command]]) -> None:
            await handler([event for _, event in items])

        self.consume(
            COMMANDS,
            decoding(decoder(COMMANDS, Command), commands),
            group="commands",
            background=True,
        )

    def keep_silences(self, database: Database, table: Table) -> None:
        """Consume ``silences`` into ``table`` of ``database`` (a service that applies them), a
        batch per transaction, off the alert path, in the group ``…-silences``."""

        async def keep(items: Sequence[tuple[Consumed, Silence]]) -> None:
            async with database.transaction() as db:
                await kept_silences.keep(db, table, [event for _, event in items])

        self.consume(
            SILENCES, decoding(decoder(SILENCES, Silence), keep), group="silences", background=True
        )

    def add_routes(self, routes: Sequence[BaseRoute]) -> None:
        self._routes.extend(routes)

    def add_periodic(
        self,
        name: str,
        every: float,
        step: Callable[[], Awaitable[object]],
        *,
        sooner: Callable[[], float | None] | None = None,
    ) -> None:
        """Background work (a poller, timers, retries) run every ``every`` seconds once the
        consumers run, cancelled on shutdown; sooner when ``sooner`` says the next step is due
        in fewer seconds. A failing step is survived, logged and counted; failing three times
        in a row makes the service unready until it succeeds again."""
        self._tasks.append(Periodic(name=name, every=every, step=step, sooner=sooner))

    def before_start(self, callback: Callable[[], Awaitable[None]]) -> None:
        """Awaited by :meth:`serve` before anything else starts (e.g. a store's migrations); a
        :class:`ConfigError` it raises stops the service with its message."""
        self._before_start.append(callback)

    def on_stop(self, callback: Callable[[], Awaitable[None] | None]) -> None:
        """Called after consumers and tasks stopped, in reverse order of registration."""
        self._on_stop.append(callback)

    def _start_tasks(self) -> None:
        for periodic in self._tasks:
            self._running.append(
                asyncio.create_task(
                    run_periodic(
                        periodic, health=self.health, clock=self.clock, stopping=self._stopping
                    ),
                    name=f"{self.name}:{periodic.name}",
                )
            )

    async def _stop_tasks(self) -> None:
        """Let steps in progress finish (up to ``STOP_GRACE_SECONDS``), then cancel the rest."""
        self._stopping.set()
        if self._running:
            await asyncio.wait(self._running, timeout=STOP_GRACE_SECONDS)
        for task in self._running:
            task.cancel()
        await asyncio.gather(*self._running, return_exceptions=True)
        self._running.clear()

    def _build_broker(self) -> KafkaBroker:
        broker = KafkaBroker(
            self.settings.kafka_bootstrap_servers,
            graceful_timeout=self.settings.kafka.graceful_timeout_seconds,
            logger=logging.getLogger(f"alertorch.{self.name}.faststream"),
            client_id=f"alertorch-{self.name}",
            # A handler takes the batch as it came (see _undecoded): no argument is injected
            # or validated, so no step of a batch is run on a worker thread.
            apply_types=False,
        )
        kafka = self.settings.kafka
        self._commits = []
        for sub in self._subscriptions:
            gaps = OffsetGaps(service=self.name, enabled=kafka.refetch_skipped_offsets)
            commits = Commits(service=self.name, topic=sub.label)
            self._commits.append(commits)
            subscriber = broker.subscriber(
                *sub.topics,
                group_id=sub.group_id,
                auto_offset_reset=sub.auto_offset_reset,
                ack_policy=sub.ack_policy,
                batch=True,
                max_records=kafka.batch_max_records,
                batch_timeout_ms=kafka.batch_max_wait_ms,
                fetch_max_wait_ms=sub.fetch_max_wait_ms,
                fetch_min_bytes=sub.fetch_min_bytes,
                session_timeout_ms=kafka.session_timeout_ms,
                heartbeat_interval_ms=kafka.heartbeat_interval_ms,
                rebalance_timeout_ms=kafka.rebalance_timeout_ms,
                decoder=_undecoded,
                listener=_Rebalance(gaps, commits),
            )
            ask_for_batches(subscriber, gather_ms=sub.gather_ms)
            subscriber(self._wrap(sub, gaps, commits))
        return broker

    def _wrap(
        self, sub: Subscription, gaps: OffsetGaps, commits: Commits
    ) -> Callable[[KafkaMessage], Awaitable[None]]:
        handle = self._handling(sub, gaps)

        async def consume(msg: KafkaMessage) -> None:
            records = msg.raw_message
            fetched = [
                Consumed.from_record(r)
                for r in (records if isinstance(records, tuple) else (records,))
            ]
            await handle(msg, fetched)
            # Finished: commit where the consumer goes on from (past the batch, or where it
            # was sent back to) with the next commit, while the next batch is handled.
            partitions = {TopicPartition(m.topic, m.partition) for m in fetched}
            commits.finished(msg.consumer, await _positions(msg.consumer, partitions))
            if commits.closing:
                await commits.settle()

        consume.__name__ = f"{self.name}_{sub.group_id.replace('.', '_').replace('-', '_')}"
        return consume

    def _handling(
        self, sub: Subscription, gaps: OffsetGaps
    ) -> Callable[[KafkaMessage, list[Consumed]], Awaitable[None]]:
        service, policy, held = self.name, self.dead_letters, sub.held

        async def handle(msg: KafkaMessage, fetched: list[Consumed]) -> None:
            held.refresh(msg.consumer)
            admitted = gaps.admit(fetched)
            # A partition held back at a gap is read again from it (shared.runner.gaps); its
            # commit goes no further than that.
            for (topic, partition), offset in admitted.refetch.items():
                msg.consumer.seek(TopicPartition(topic, partition), offset)
            batch = admitted.messages
            if not batch:
                return
            with bound_context(service=service, topic=sub.label):
                started = time.perf_counter()
                finished = await handle_batch(batch, sub.handler, policy)
                HANDLING_SECONDS.labels(service, sub.label).observe(time.perf_counter() - started)
                for topic, count in Counter(m.topic for m in batch[:finished]).items():
                    MESSAGES_CONSUMED.labels(service, topic, "ok").inc(count)
                if finished < len(batch):
                    # The dead-letter budget is spent: resume from the first unfinished message;
                    # what is finished is committed.
                    for partition_key, offset in rewind_to(batch[finished:]).items():
                        msg.consumer.seek(TopicPartition(*partition_key), offset)
                        gaps.rewound(partition_key, offset)
                    await policy.clock.sleep(policy.max_backoff_seconds)

        return handle

    async def _ping(self) -> bool:
        return self.broker is not None and bool(await self.broker.ping(timeout=2.0))

    @contextlib.asynccontextmanager
    async def lifespan(self, _app: Starlette) -> AsyncIterator[None]:
        await wait_for_broker(self.settings.kafka_bootstrap_servers, timeout=60.0)
        await self.producer.start()
        self.broker = self._build_broker()
        try:
            await self.broker.start()
            settled = heap.settle()
            self.health.started = True
            CONSUMER_READY.labels(self.name).set(1)
            self._start_tasks()
            log.info(
                "service started",
                service=self.name,
                subscriptions=[s.label for s in self._subscriptions],
                settled_objects=settled,
            )
            yield
        finally:
            self.health.stopping = True
            log.info("service stopping", service=self.name)
            await self._stop_tasks()
            # From here each batch ends with its offsets committed; what earlier batches
            # finished is committed before the consumers stop.
            for commits in self._commits:
                commits.closing = True
            settling = asyncio.gather(*(commits.settle() for commits in self._commits))
            try:
                await asyncio.wait_for(settling, self.settings.kafka.graceful_timeout_seconds)
            except TimeoutError:
                log.warning(
                    "finished offsets not committed before stopping; they are delivered again"
                )
            await self.broker.stop()
            await self.producer.stop()
            for callback in reversed(self._on_stop):
                result = callback()
                if result is not None:
                    await result
            log.info("service stopped", service=self.name)

    def asgi(self) -> Starlette:
        return Starlette(
            routes=[*health_routes(self.health, self._ping), *self._routes],
            lifespan=self.lifespan,
        )

    async def serve(self, *, host: str, port: int) -> int:
        """Serve until SIGTERM/SIGINT; return the process exit code."""
        for callback in self._before_start:
            await callback()
        config = uvicorn.Config(
            self.asgi(),
            host=host,
            port=port,
            log_config=None,
            lifespan="on",
            timeout_graceful_shutdown=int(self.settings.kafka.graceful_timeout_seconds) + 1,
        )
        server = _Server(config)
        await server.serve()
        return 0 if server.started else 1
