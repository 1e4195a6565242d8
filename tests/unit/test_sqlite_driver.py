"""SQLite under asyncio, at most one trip to the driver's thread a statement: results, errors,
waits, and writes that travel with the next trip."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import Column, Integer, MetaData, Table, Text, exc, insert, select, text

from shared.storage import Database, any_of, read_together, upsert

metadata = MetaData()
things = Table(
    "things",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", Text, nullable=False, unique=True),
)


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'driver.db'}", schemas=[])
    async with database.transaction() as db:
        await db.run_sync(metadata.create_all)
    yield database
    await database.close()


async def test_rows_counts_and_ids_come_back_as_the_driver_gives_them(database: Database) -> None:
    async with database.transaction() as db:
        first = await db.execute(insert(things).values(name="a"))
        assert first.inserted_primary_key == (1,)
        many = await db.execute(insert(things), [{"name": "b"}, {"name": "c"}, {"name": "d"}])
        assert many.rowcount == 3
        updated = await db.execute(text("UPDATE things SET name = name || '!' WHERE id > 1"))
        assert updated.rowcount == 3
    async with database.transaction() as db:
        rows = (await db.execute(select(things.c.id, things.c.name).order_by(things.c.id))).all()
        assert [tuple(r) for r in rows] == [(1, "a"), (2, "b!"), (3, "c!"), (4, "d!")]
        result = await db.execute(select(things.c.name).order_by(things.c.id))
        assert result.keys() == ["name"]
        assert result.fetchone() == ("a",)
        assert result.fetchmany(2) == [("b!",), ("c!",)]
        assert result.fetchall() == [("d!",)]
        assert (await db.execute(select(things.c.id).where(things.c.id > 9))).all() == []


async def test_a_failing_statement_raises_the_drivers_error_and_the_connection_goes_on(
    database: Database,
) -> None:
    async with database.transaction() as db:
        await db.execute(insert(things).values(name="a"))

    async def twice() -> None:
        async with database.transaction() as db:
            await db.execute(insert(things).values(name="b"))
            await db.execute(insert(things).values(name="a"))

    async def missing() -> None:
        async with database.transaction() as db:
            await db.execute(text("SELECT * FROM nothing_here"))

    with pytest.raises(exc.IntegrityError, match="UNIQUE constraint failed"):
        await twice()
    with pytest.raises(exc.OperationalError, match="no such table"):
        await missing()
    async with database.transaction() as db:
        # The failed transaction left nothing behind.
        assert (await db.execute(select(things.c.name))).scalars().all() == ["a"]


async def test_a_statement_is_one_trip_to_the_drivers_thread(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with database.transaction() as db:
        await db.execute(insert(things).values(name="a"))
        trips = _count_trips(monkeypatch)
        assert (await db.execute(select(things.c.name))).scalar_one() == "a"
        assert len(trips) == 1
        await db.execute(insert(things), [{"name": "b"}, {"name": "c"}])
        assert len(trips) == 2
    # The commit is one more; nothing is left to roll back when the pool takes the connection.
    assert len(trips) == 2 + 1
    trips.clear()
    async with database.transaction() as db:
        await db.execute(select(things.c.name))
    assert len(trips) == 2  # BEGIN travels with the statement; COMMIT


async def test_writes_that_answer_nothing_travel_with_the_next_statement_or_the_commit(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    trips = _count_trips(monkeypatch)
    async with database.transaction() as db:
        await upsert(db, things, [{"id": 1, "name": "a"}], key=["id"])
        await upsert(db, things, [{"id": 2, "name": "b"}, {"id": 3, "name": "c"}], key=["id"])
        assert trips == []  # BEGIN and both upserts wait
        # A read sees them: they go first, in order, in its trip.
        names = (await db.execute(select(things.c.name).order_by(things.c.id))).scalars().all()
        assert names == ["a", "b", "c"]
        assert len(trips) == 1
        await upsert(db, things, [{"id": 1, "name": "z"}], key=["id"])
        await upsert(db, things, [{"id": 4, "name": "d"}], key=["id"], ignore=True)
    assert len(trips) == 2  # the commit carried the last two
    async with database.transaction() as db:
        rows = (await db.execute(select(things.c.id, things.c.name).order_by(things.c.id))).all()
    assert [tuple(r) for r in rows] == [(1, "z"), (2, "b"), (3, "c"), (4, "d")]


async def test_reads_read_together_make_one_trip_with_what_waits_for_it(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    by_ids = select(things.c.id, things.c.name).where(any_of(things.c.id)).order_by(things.c.id)
    trips = _count_trips(monkeypatch)
    async with database.transaction() as db:
        await upsert(
            db, things, [{"id": i, "name": n} for i, n in enumerate("abcd", 1)], key=["id"]
        )
        found = await read_together(
            db,
            [
                (by_ids, {"ids": [2, 4]}),
                (select(things.c.name).where(things.c.id > 9), {}),
                (by_ids, {"ids": []}),
                (text("SELECT count(*) FROM things"), {}),
            ],
        )
        # BEGIN, the upsert and four reads: one trip, each read answering after the writes.
        assert len(trips) == 1
    assert found == [[(2, "b"), (4, "d")], [], [], [(4,)]]
    async with database.transaction() as db:
        assert await read_together(db, [(by_ids, {"ids": [1]})]) == [[(1, "a")]]
        assert await read_together(db, []) == []


async def test_waiting_writes_of_a_transaction_rolled_back_are_never_sent(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    trips = _count_trips(monkeypatch)

    async def changed_mind() -> None:
        async with database.transaction() as db:
            await upsert(db, things, [{"id": 1, "name": "a"}], key=["id"])
            raise RuntimeError("changed my mind")

    with pytest.raises(RuntimeError, match="changed my mind"):
        await changed_mind()
    assert trips == []  # not even its BEGIN
    async with database.transaction() as db:
        assert (await db.execute(select(things.c.name))).scalars().all() == []


async def test_a_waiting_write_that_fails_fails_its_transaction_where_it_is_sent(
    database: Database,
) -> None:
    async with database.transaction() as db:
        await upsert(db, things, [{"id": 1, "name": "a"}], key=["id"])

    async def clash_at(where: str) -> None:
        async with database.transaction() as db:
            await upsert(db, things, [{"id": 2, "name": "b"}], key=["id"])
            # Another id with a name taken: the unique name refuses it, not the key's conflict.
            await upsert(db, things, [{"id": 3, "name": "a"}], key=["id"])
            if where == "read":
                await db.execute(select(things.c.id))

    for where in ("read", "commit"):
        with pytest.raises(exc.IntegrityError, match=r"UNIQUE constraint failed: things\.name"):
            await clash_at(where)
    async with database.transaction() as db:
        # Neither failed transaction left anything, its good first write included.
        assert (await db.execute(select(things.c.name))).scalars().all() == ["a"]
    async with database.transaction() as db:
        await upsert(db, things, [{"id": 2, "name": "b"}], key=["id"])
    async with database.transaction() as db:
        names = (await db.execute(select(things.c.name).order_by(things.c.id))).scalars().all()
    assert names == ["a", "b"]


def _count_trips(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The functions sent to the driver's thread from now on."""
    trips: list[Any] = []
    real = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        trips.append(fn)
        return await real(self, fn, *args, **kwargs)  # type: ignore[no-untyped-call]

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    return trips


async def test_waiting_on_another_writers_lock_does_not_block_the_event_loop(
    database: Database, tmp_path: Path
) -> None:
    # Another process's writer holds the database lock for a while; our write waits for it on
    # the driver's thread (busy_timeout) while the event loop keeps running other tasks.
    held, release = threading.Event(), threading.Event()

    def other_writer() -> None:
        connection = sqlite3.connect(tmp_path / "driver.db", isolation_level=None)
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("INSERT INTO things (name) VALUES ('theirs')")
        held.set()
        release.wait(5)
        connection.execute("COMMIT")
        connection.close()

    writer = threading.Thread(target=other_writer)
    writer.start()
    await asyncio.to_thread(held.wait, 5)
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.01)

    async def write() -> None:
        async with database.transaction() as db:
            await db.execute(insert(things).values(name="ours"))

    ticker = asyncio.create_task(tick())
    ours = asyncio.create_task(write())
    await asyncio.sleep(0.5)
    assert not ours.done()
    assert ticks >= 20
    release.set()
    await asyncio.wait_for(ours, 5)
    ticker.cancel()
    writer.join(5)
    async with database.transaction() as db:
        names = (await db.execute(select(things.c.name).order_by(things.c.id))).scalars().all()
    assert names == ["theirs", "ours"]
