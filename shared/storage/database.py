"""A service's database: an async engine, transactions, and its schemas migrated on open.

SQLite (the embedded default) runs in WAL mode and every transaction begins ``IMMEDIATE``:
writers queue on the database lock (``busy_timeout``) instead of failing half-way. Within one
process, transactions on one SQLite file also queue on an asyncio lock first: SQLite's busy
handler waits by sleeping (up to 100 ms a try), so tasks of one service (its consumers and
background loops) contending for the file would spend most of their time asleep; the asyncio
lock hands over at once. PostgreSQL runs with a small pool whose connections are checked
before use, and its transactions run side by side.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool

from shared.storage import sqlite_driver
from shared.storage.migrate import StoreSchema, migrate
from shared.storage.url import engine_url

SQLITE_BUSY_TIMEOUT_MS = 30_000

#: Per event loop, one lock per SQLite file (every Database on that file shares it).
_FILE_LOCKS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Lock]] = (
    weakref.WeakKeyDictionary()
)


class Database:
    """One engine (no connection is made until first use); :meth:`migrate` before use, then
    :meth:`transaction` for writes and consistent reads."""

    def __init__(self, url: str, *, schemas: Sequence[StoreSchema]) -> None:
        self.engine = create_engine(url)
        self.schemas = tuple(schemas)
        database = self.engine.url.database or ""
        self._file: str | None = None
        if self.dialect == "sqlite":  # in memory: one connection, so one transaction at a time
            memory = database in ("", ":memory:")
            self._file = f":memory:{id(self)}" if memory else str(Path(database).resolve())

    async def migrate(self) -> None:
        """Bring every schema to this build's head (serialised across replicas)."""
        for schema in self.schemas:
            await migrate(self.engine, schema)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """Every statement in the block commits together, or none does."""
        async with self._turn(), self.engine.begin() as connection:
            yield connection

    def _turn(self) -> contextlib.AbstractAsyncContextManager[Any]:
        """This process's turn at the SQLite file (PostgreSQL needs none)."""
        if self._file is None:
            return contextlib.nullcontext()
        locks = _FILE_LOCKS.setdefault(asyncio.get_running_loop(), {})
        return locks.setdefault(self._file, asyncio.Lock())

    async def close(self) -> None:
        await self.engine.dispose()


def _sqlite_engine(url: URL) -> AsyncEngine:
    database = url.database or ""
    memory = database in ("", ":memory:")
    if not memory:
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(
        url,
        module=sqlite_driver.dbapi(),
        poolclass=StaticPool if memory else None,
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # The driver must not open transactions by itself: ``begin`` below does, IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if not memory:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(connection: Any) -> None:
        # Sent with the transaction's first statement (see sqlite_driver): one trip fewer.
        connection.exec_driver_sql(
            "BEGIN IMMEDIATE", execution_options={sqlite_driver.SEND_LATER: True}
        )

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _mark(_conn: Any, cursor: Any, _sql: str, _params: Any, context: Any, _many: bool) -> None:
        if context is not None:
            options = context.execution_options
            if options.get(sqlite_driver.SEND_LATER):
                cursor.send_later = True
            if options.get(sqlite_driver.GATHER):
                cursor.gather = True

    return engine


def create_engine(url: str) -> AsyncEngine:
    parsed = engine_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed)
    return create_async_engine(parsed, pool_size=5, max_overflow=5, pool_pre_ping=True)


async def open_database(url: str, *, schemas: Sequence[StoreSchema]) -> Database:
    """Connect, migrate each schema, and hand back the database."""
    database = Database(url, schemas=schemas)
    try:
        await database.migrate()
    except BaseException:
        await database.close()
        raise
    return database
