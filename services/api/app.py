"""The console service (``api``): every topic in, a read model, a REST API and a web page; it
acts only by publishing ``commands`` and ``silences`` (and records each request on ``audit``).
See docs/console.md.

One consumer reads the six event topics, another the ``.dlq`` topics (each consumer polls the
broker even when idle, so the console keeps to two); each batch is folded into the read model
in one transaction, idempotently (see :mod:`services.api.readmodel`). The ``.dlq`` topics are
counted, not decoded. ``errors.raw`` is not read: every occurrence reaches the timeline through
its classification.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Final

import structlog

from services.api import readmodel, silences
from services.api.context import Context
from services.api.metrics import DEAD_LETTERS_SEEN, EVENTS_PROJECTED
from services.api.reports import Reporter
from services.api.slack_rights import SlackRights
from services.api.tables import SCHEMA
from services.api.web import routes
from shared.config import Settings
from shared.events import (
    AuditRecord,
    ClassifiedError,
    Command,
    Envelope,
    Notification,
    Resolution,
    Silence,
)
from shared.kafka.lag import consumer_groups
from shared.oncall import OnCallDirectory
from shared.runner import BatchHandler, Consumed, Service, decoder, decoding
from shared.slack.clients import slack_clients
from shared.storage import Database, StoreSchema, storage_url
from shared.topics import (
    AUDIT,
    COMMANDS,
    ERRORS_CLASSIFIED,
    ERRORS_RAW,
    NOTIFICATIONS,
    RESOLUTIONS,
    SILENCES,
    topic,
)

log = structlog.get_logger(__name__)

NAME: Final = "api"
#: The topics folded into the read model, and the event each carries.
EVENTS: Final[dict[str, type[Envelope]]] = {
    ERRORS_CLASSIFIED: ClassifiedError,
    RESOLUTIONS: Resolution,
    NOTIFICATIONS: Notification,
    COMMANDS: Command,
    AUDIT: AuditRecord,
    SILENCES: Silence,
}
#: The ``.dlq`` twins counted (errors.raw's included).
DEAD_LETTER_TOPICS: Final = tuple(topic(name).dlq for name in (ERRORS_RAW, *EVENTS))
SNOOZE_CHECK_SECONDS: Final = 5.0
PRUNE_SECONDS: Final = 3600.0
#: Timeline, resolution and notification rows are kept this long; alert rows stay.
KEEP_SECONDS: Final = 30 * 86400.0


def stores(settings: Settings) -> dict[str, list[StoreSchema]]:
    """The service's database URL and the schema it keeps there."""
    return {storage_url(settings, NAME): [SCHEMA]}


def _events(database: Database) -> BatchHandler:
    decoders = {name: decoder(name, model) for name, model in EVENTS.items()}

    def decode(message: Consumed) -> Envelope:
        return decoders[message.topic](message)

    async def fold(items: Sequence[tuple[Consumed, Envelope]]) -> None:
        new: dict[str, int] = {}
        async with database.transaction() as db:
            for name in EVENTS:
                events = [event for message, event in items if message.topic == name]
                if not events:
                    continue
                if name == SILENCES:
                    await silences.fold(db, [e for e in events if isinstance(e, Silence)])
                    new[name] = len(events)
                    continue
                new[name] = await readmodel.project(db, name, events)
                if name == AUDIT:
                    await silences.record_uses(
                        db, [e for e in events if isinstance(e, AuditRecord)]
                    )
        for name, count in new.items():
            EVENTS_PROJECTED.labels(name).inc(count)

    return decoding(decode, fold)


def _dead_letters(database: Database) -> BatchHandler:
    async def count(batch: Sequence[Consumed]) -> None:
        new: dict[str, int] = {}
        async with database.transaction() as db:
            for name in DEAD_LETTER_TOPICS:
                letters = [message for message in batch if message.topic == name]
                if letters:
                    new[name] = await readmodel.record_dead_letters(db, letters)
        for name, seen in new.items():
            DEAD_LETTERS_SEEN.labels(name).inc(seen)

    return count


def create(settings: Settings) -> Service:
    service = Service(name=NAME, settings=settings)
    [(url, schemas)] = stores(settings).items()
    database = Database(url, schemas=schemas)
    clock = service.clock
    slack = slack_clients(settings)
    context = Context(
        database=database,
        publisher=service.producer,
        clock=clock,
        health=service.health,
        topics=(*EVENTS, *DEAD_LETTER_TOPICS),
        read_groups=functools.partial(
            consumer_groups, settings.kafka_bootstrap_servers, settings.kafka.group_prefix
        ),
        group_prefix=settings.kafka.group_prefix,
        slack_rights=SlackRights(settings.slack, slack.api if slack else None),
        oncall=OnCallDirectory(settings.oncall, clock=clock.time),
    )

    async def wake() -> None:
        async with database.transaction() as db:
            await readmodel.wake_snoozed(db, clock.time())

    async def end_silences() -> None:
        now = clock.time()
        async with database.transaction() as db:
            ending = await silences.due_to_end(db, now)
            for silence in ending:
                await context.publish(silences.outputs(silence, "silence_ended", silences.CONSOLE))
        if ending:
            log.info("silences ended", count=len(ending))

    async def prune() -> None:
        async with database.transaction() as db:
            gone = await readmodel.forget_before(db, clock.time() - KEEP_SECONDS)
        log.info("forgot old timeline rows", forgotten=gone)

    service.before_start(database.migrate)
    service.consume(tuple(EVENTS), _events(database), group="events", background=True, bulk=True)
    service.consume(
        DEAD_LETTER_TOPICS, _dead_letters(database), group="dead-letters", background=True
    )
    service.add_routes(routes(context))
    service.add_periodic("snoozes", SNOOZE_CHECK_SECONDS, wake)
    service.add_periodic("prune", PRUNE_SECONDS, prune)
    service.add_periodic("silences", silences.CHECK_SECONDS, end_silences)
    reporter = Reporter(context, settings)
    service.add_periodic("reports", settings.monitoring.reporting.check_seconds, reporter.step)
    service.on_stop(database.close)
    if slack is not None:
        service.on_stop(slack.aclose)
    return service
