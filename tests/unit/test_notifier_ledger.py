"""The ledger on its real store, on both backends: openings one row each, read again only when
another replica (or a rolled-back step) changed them, kept to the newest ``MAX_OPENINGS``, and
taken over from the ledger's body where a build before notifier_0004 left them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from services.notifier.ledger_store import LedgerStore
from services.notifier.policy.prevention import (
    MAX_OPENINGS,
    Ledger,
    record_escalation,
    record_opening,
)
from services.notifier.tables import SCHEMA, ledger, openings
from shared.storage import Database
from shared.storage.migrate import migrate

NOW = datetime(2026, 12, 4, 12, 0, 0, 123457, tzinfo=UTC)


@pytest.fixture
async def database(storage_url: str) -> AsyncIterator[Database]:
    opened = Database(storage_url, schemas=[SCHEMA])
    await opened.migrate()
    yield opened
    await opened.close()


async def _open(
    database: Database,
    store: LedgerStore,
    *titles: str,
    at: datetime = NOW,
    apart: timedelta = timedelta(seconds=1),
) -> None:
    """One step on ``store``: lock the ledger, open an alert per title (``apart`` from each
    other), save."""
    async with database.transaction() as db:
        book = await store.lock(db)
        for n, title in enumerate(titles):
            book = record_opening(book, f"fp-{title}", title, at + n * apart)
        await store.save(db, book)


async def _read(database: Database, store: LedgerStore) -> Ledger:
    async with database.transaction() as db:
        return await store.lock(db)


async def _rows(database: Database) -> int:
    async with database.transaction() as db:
        return int((await db.execute(select(func.count()).select_from(openings))).scalar_one())


async def test_openings_are_rows_and_replicas_read_each_others(database: Database) -> None:
    first, second = LedgerStore(), LedgerStore()
    await _open(database, first, "database connection refused", "disk full on db")
    seen = await _read(database, second)
    assert [o.fingerprint for o in seen.openings] == [
        "fp-database connection refused",
        "fp-disk full on db",
    ]
    assert seen.openings[0].at == NOW  # to the microsecond
    assert seen.openings[0].words == ("connection", "database", "refused")
    await _open(database, second, "payment timeout", at=NOW + timedelta(minutes=1))
    assert [o.fingerprint for o in (await _read(database, first)).openings][-1] == (
        "fp-payment timeout"
    )
    assert await _rows(database) == 3
    async with database.transaction() as db:
        body = (await db.execute(select(ledger.c.body))).scalar_one()
    assert Ledger.model_validate_json(body).openings == ()  # the body keeps escalations only


async def test_openings_rebuilt_by_a_step_are_stored_once(database: Database) -> None:
    store = LedgerStore()
    await _open(database, store, "database connection refused")
    async with database.transaction() as db:
        book = await store.lock(db)
        copied = tuple(o.model_copy() for o in book.openings)
        await store.save(
            db, record_opening(book.model_copy(update={"openings": copied}), "fp-2", "b", NOW)
        )
    assert await _rows(database) == 2


async def test_escalations_are_kept_in_the_ledger_row(database: Database) -> None:
    first = LedgerStore()
    async with database.transaction() as db:
        await first.save(db, record_escalation(await first.lock(db), NOW))
    assert (await _read(database, LedgerStore())).escalations == (NOW,)


async def test_a_rolled_back_step_leaves_no_opening_behind(database: Database) -> None:
    store = LedgerStore()
    await _open(database, store, "kept")

    async def failing_step() -> None:
        async with database.transaction() as db:
            await store.save(db, record_opening(await store.lock(db), "fp-lost", "lost", NOW))
            raise RuntimeError("step failed")

    with pytest.raises(RuntimeError, match="step failed"):
        await failing_step()
    assert [o.fingerprint for o in (await _read(database, store)).openings] == ["fp-kept"]
    assert await _rows(database) == 1


async def test_openings_past_the_newest_kept_are_deleted(database: Database) -> None:
    store = LedgerStore()
    titles = [f"error number {n}" for n in range(MAX_OPENINGS + 5)]
    for start in range(0, len(titles), 300):
        at = NOW + timedelta(hours=1, seconds=start)
        await _open(database, store, *titles[start : start + 300], at=at)
    assert await _rows(database) == MAX_OPENINGS
    kept = (await _read(database, LedgerStore())).openings
    assert len(kept) == MAX_OPENINGS
    assert kept[0].fingerprint == "fp-error number 5"
    # A day later the first opening of the day lets all the others go.
    await _open(database, store, "next day", at=NOW + timedelta(days=2))
    assert await _rows(database) == 1


async def test_openings_of_one_moment_past_the_newest_kept_are_deleted(
    database: Database,
) -> None:
    store = LedgerStore()
    titles = [f"error number {n}" for n in range(MAX_OPENINGS + 3)]
    await _open(database, store, *titles[:500], apart=timedelta(0))
    await _open(database, store, *titles[500:], apart=timedelta(0))
    kept = {o.fingerprint for o in (await _read(database, LedgerStore())).openings}
    async with database.transaction() as db:
        stored = set((await db.execute(select(openings.c.fingerprint))).scalars())
    assert len(kept) == MAX_OPENINGS
    assert stored == kept


async def test_openings_an_older_build_wrote_into_the_body_are_taken_over(
    database: Database,
) -> None:
    """During a rolling upgrade a replica of the build before notifier_0004 still writes the
    ledger whole, openings inside, and leaves the stamp as it was."""
    store = LedgerStore()
    await _open(database, store, "first")
    old_view = record_opening(Ledger(), "fp-old", "written by an old replica", NOW)
    async with database.transaction() as db:
        await db.execute(update(ledger).values(body=old_view.model_dump_json()))
    seen = await _read(database, store)
    assert {o.fingerprint for o in seen.openings} == {"fp-first", "fp-old"}
    assert await _rows(database) == 2


async def test_the_upgrade_moves_the_openings_out_of_the_body(storage_url: str) -> None:
    old = Database(storage_url, schemas=[])
    await migrate(old.engine, SCHEMA, to="notifier_0003")
    book = record_opening(record_opening(Ledger(), "fp-a", "a fault", NOW), "fp-b", "b", NOW)
    async with old.transaction() as db:
        await db.execute(ledger.insert().values(id=1, body=book.model_dump_json()))
    await old.close()
    upgraded = Database(storage_url, schemas=[SCHEMA])
    await upgraded.migrate()
    try:
        assert (await _read(upgraded, LedgerStore())).openings == book.openings
        async with upgraded.transaction() as db:
            body = (await db.execute(select(ledger.c.body))).scalar_one()
        assert Ledger.model_validate_json(body).openings == ()
    finally:
        await upgraded.close()
