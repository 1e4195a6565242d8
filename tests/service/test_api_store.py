"""The console's read model on both backends: its migration builds exactly the declared tables;
a batch folds once however often it is delivered; two consumers folding the same problem at
once lose nothing; pages, buckets, snoozes and tokens behave alike on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection

from services.api import cursor, queries, readmodel, tokens
from services.api.cursor import CursorError, Position
from services.api.queries import AlertFilter
from services.api.tables import SCHEMA
from shared.clock import ManualClock
from shared.config.sections import KafkaSection
from shared.events import Envelope
from shared.kafka.consumed import Consumed
from shared.kafka.dlq import H_ERROR_CLASS, H_FAILED_AT, H_SOURCE_TOPIC
from shared.storage import Database
from tests.storage import migrated
from tests.unit.test_api_projection import T0, classified, command, notification, resolution


@pytest.fixture
async def database(storage_url: str) -> AsyncIterator[Database]:
    async with migrated(storage_url, SCHEMA) as opened:
        yield opened


def _differences(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"version_table": SCHEMA.version_table})
    return [
        diff
        for diff in compare_metadata(context, SCHEMA.metadata)
        if not (diff[0] == "remove_table" and diff[1].name.startswith("alembic_version_"))
    ]


async def test_the_migration_builds_exactly_the_declared_tables(database: Database) -> None:
    async with database.transaction() as db:
        assert await db.run_sync(_differences) == []


async def test_a_batch_folds_once_however_often_it_is_delivered(database: Database) -> None:
    batch = [
        classified("fp", at=T0, count=2),
        resolution("fp", at=T0 + 1, status="awaiting_approval", attempt_id="a1", strategy="rs"),
        notification("fp", at=T0 + 2),
    ]
    for _ in range(3):
        async with database.transaction() as db:
            await readmodel.project(db, "mixed", batch)
    async with database.transaction() as db:
        alert = await queries.get_alert(db, "fp")
        assert alert is not None
        assert (alert.occurrences, alert.events, alert.attempt_id) == (2, 1, "a1")
        page = await queries.alert_timeline(db, "fp", limit=10, after=None)
        assert [item["kind"] for item in page.items] == ["occurrence", "decision", "notification"]
        inbox = await queries.inbox(db, limit=10, after=None)
        assert [item["fingerprint"] for item in inbox.items] == ["fp"]
        status = await queries.status_counts(db)
    assert status["alerts"] == {"open": 1}
    assert status["last_event_at"] == {"mixed": T0 + 2}


async def test_the_largest_batch_folds_in_one_go(database: Database) -> None:
    # kafka.batch_max_records at its bound: every statement of the fold carries all of them.
    largest = KafkaSection.model_fields["batch_max_records"].metadata
    size = next(bound.le for bound in largest if hasattr(bound, "le"))
    batch = [classified(f"fp-{n:05d}", at=T0) for n in range(size)]
    async with database.transaction() as db:
        assert await readmodel.project(db, "errors.classified", batch) == size
        found = await readmodel.locked_alerts(db, (e.data.fingerprint for e in batch))
    assert len(found) == size
    assert {alert.events for alert in found.values()} == {1}


async def test_consumers_folding_one_problem_at_once_lose_nothing(database: Database) -> None:
    occurrences = [[classified("hot", at=T0 + i)] for i in range(20)]
    acks = [[command("hot", at=T0 + 100 + i, action="ack")] for i in range(5)]

    async def fold(topic: str, events: Sequence[Envelope]) -> None:
        async with database.transaction() as db:
            await readmodel.project(db, topic, events)

    await asyncio.gather(
        *(fold("errors.classified", batch) for batch in occurrences),
        *(fold("commands", batch) for batch in acks),
    )
    async with database.transaction() as db:
        alert = await queries.get_alert(db, "hot")
    assert alert is not None
    assert (alert.events, alert.last_seen, alert.status) == (20, T0 + 19, "acknowledged")
    assert alert.acked_at == T0 + 100


async def test_pages_follow_the_cursor_in_sort_order(database: Database) -> None:
    severities = ["low", "high", "critical", "medium", "info", "high", "low"]
    events = [
        classified(f"p{i}", at=T0 + i, severity=sev, count=i + 1)
        for i, sev in enumerate(severities)
    ]
    async with database.transaction() as db:
        await readmodel.project(db, "errors.classified", events)
    for sort, expected in {
        "-last_seen": [f"p{i}" for i in reversed(range(7))],
        "first_seen": [f"p{i}" for i in range(7)],
        "-occurrences": [f"p{i}" for i in reversed(range(7))],
        "-severity": ["p2", "p5", "p1", "p3", "p6", "p0", "p4"],
    }.items():
        seen: list[str] = []
        after = None
        while True:
            async with database.transaction() as db:
                page = await queries.list_alerts(db, AlertFilter(), sort=sort, limit=3, after=after)
            seen.extend(alert.fingerprint for alert in page.items)
            after = page.next_cursor
            if after is None:
                break
        assert seen == expected, sort
    async with database.transaction() as db:
        high = await queries.list_alerts(
            db, AlertFilter(severity=("high",)), sort="-last_seen", limit=50, after=None
        )
    assert [a.fingerprint for a in high.items] == ["p5", "p1"]
    forged = cursor.encode(Position("-last_seen", "not a number", "p1"))
    with pytest.raises(CursorError):
        async with database.transaction() as db:
            await queries.list_alerts(db, AlertFilter(), sort="-last_seen", limit=3, after=forged)


async def test_buckets_snoozes_and_pruning(database: Database) -> None:
    events = [classified("b", at=T0 + offset) for offset in (0, 59.9, 60, 179)]
    async with database.transaction() as db:
        await readmodel.project(db, "errors.classified", events)
        await readmodel.project(
            db, "commands", [command("b", at=T0 + 200, action="snooze", snooze_seconds=100)]
        )
        counts = await queries.bucket_counts(
            db, kind="occurrence", start=T0, end=T0 + 240, width=60
        )
        assert counts == {0: 2, 1: 1, 2: 1}
        assert await readmodel.wake_snoozed(db, T0 + 299) == 0
        assert await readmodel.wake_snoozed(db, T0 + 300) == 1
        alert = await queries.get_alert(db, "b")
        assert alert is not None
        assert (alert.status, alert.snoozed_until) == ("open", None)
        assert await readmodel.forget_before(db, T0 + 60) == 2
        page = await queries.alert_timeline(db, "b", limit=10, after=None)
    assert len(page.items) == 3


async def test_dead_letters_are_counted_once_per_message(database: Database) -> None:
    headers = (
        (H_SOURCE_TOPIC, b"commands"),
        (H_ERROR_CLASS, b"InvalidMessage"),
        (H_FAILED_AT, b"2001-09-09T01:46:40+00:00"),
    )
    letters = [
        Consumed("commands.dlq", 0, offset, b"k", b"garbage", headers) for offset in range(3)
    ]
    async with database.transaction() as db:
        assert await readmodel.record_dead_letters(db, letters) == 3
        assert await readmodel.record_dead_letters(db, letters) == 0
        status = await queries.status_counts(db)
    assert status["dead_letters"] == {"commands": 3}
    assert status["last_event_at"] == {"commands.dlq": T0}


async def test_tokens_are_stored_hashed_and_revocable(database: Database) -> None:
    clock = ManualClock(T0)
    made = await tokens.create_token(
        database, role="operator", name="bob", slack_user="U9", clock=clock
    )
    assert made.token.startswith("ao_")
    found = await tokens.verify_token(database, made.token)
    assert found == made.info
    assert found.actor().id == "U9"
    assert await tokens.verify_token(database, made.token + "x") is None
    with pytest.raises(ValueError, match="unknown role"):
        await tokens.create_token(database, role="root")
    assert [t.name for t in await tokens.list_tokens(database)] == ["bob"]
    assert await tokens.revoke_token(database, made.info.token_id, clock=clock)
    assert not await tokens.revoke_token(database, made.info.token_id, clock=clock)
    assert await tokens.verify_token(database, made.token) is None
    assert await tokens.list_tokens(database) == []
    assert len(await tokens.list_tokens(database, include_revoked=True)) == 1
