"""Row locks: transactions holding one row go one after another, across replicas, both backends."""

from __future__ import annotations

import asyncio

from sqlalchemy import Column, Integer, MetaData, Table, Text, event, insert, select, update

from shared.storage import Database, hold, locked

metadata = MetaData()
counters = Table(
    "counters",
    metadata,
    Column("name", Text, primary_key=True),
    Column("value", Integer, nullable=False),
)


async def _increment(database: Database, started: asyncio.Event) -> None:
    """Read, wait, write: without the lock two of these lose an update."""
    async with database.transaction() as db:
        await hold(db, counters, {"name": "n", "value": 0})
        started.set()
        value = (await db.execute(select(counters.c.value))).scalar_one()
        await asyncio.sleep(0.2)
        await db.execute(update(counters).values(value=value + 1))


async def test_two_replicas_holding_one_row_go_one_after_another(storage_url: str) -> None:
    replicas = [Database(storage_url, schemas=[]), Database(storage_url, schemas=[])]
    try:
        async with replicas[0].transaction() as db:
            await db.run_sync(metadata.create_all)
            await db.execute(insert(counters).values(name="n", value=0))
        first, second = asyncio.Event(), asyncio.Event()
        one = asyncio.create_task(_increment(replicas[0], first))
        await first.wait()
        two = asyncio.create_task(_increment(replicas[1], second))
        await asyncio.gather(one, two)
        async with replicas[1].transaction() as db:
            assert (await db.execute(select(counters.c.value))).scalar_one() == 2
    finally:
        for replica in replicas:
            await replica.close()


async def test_on_postgresql_the_held_row_is_made_when_missing(postgres_url: str) -> None:
    database = Database(postgres_url, schemas=[])
    try:
        async with database.transaction() as db:
            await db.run_sync(metadata.create_all)
        async with database.transaction() as db:
            await hold(db, counters, {"name": "lock", "value": 0})
            await hold(db, counters, {"name": "lock", "value": 7})  # held again: unchanged
        async with database.transaction() as db:
            rows = (await db.execute(select(counters.c.name, counters.c.value))).all()
        assert [tuple(r) for r in rows] == [("lock", 0)]
    finally:
        await database.close()


async def test_a_locked_row_is_made_once_then_read_in_one_statement(storage_url: str) -> None:
    database = Database(storage_url, schemas=[])
    statements: list[str] = []
    try:
        async with database.transaction() as db:
            await db.run_sync(metadata.create_all)
        event.listen(
            database.engine.sync_engine,
            "before_cursor_execute",
            lambda _c, _cur, statement, *_: statements.append(statement.split()[0]),
        )
        async with database.transaction() as db:
            made = await locked(db, counters, {"name": "lock", "value": 3})
            assert (made.name, made.value) == ("lock", 3)
            await db.execute(update(counters).values(value=4))
        statements.clear()
        async with database.transaction() as db:
            found = await locked(db, counters, {"name": "lock", "value": 0})
        assert (found.name, found.value) == ("lock", 4)
        assert statements.count("SELECT") == 1
        assert "INSERT" not in statements
    finally:
        await database.close()
