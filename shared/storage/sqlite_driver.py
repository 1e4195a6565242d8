"""SQLite under asyncio, one trip to the driver's thread per statement.

SQLAlchemy's ``aiosqlite`` adaptation runs every statement as four calls on aiosqlite's worker
thread (make a cursor, execute, fetch the rows, close the cursor), each a hand-over between the
event loop and the thread. The hand-overs, not SQLite, are most of a statement's cost: a
primary-key read takes about 9 us in SQLite and about 460 us of CPU through the four trips. Here
a cursor does all four in one call on the same thread, and keeps the rows, the description and
the counts it brought back. Nothing runs on the event loop's thread: a statement waiting on the
database lock (``busy_timeout``) still waits on the worker thread, never blocking the loop.
The connection also knows whether a transaction is open, so the rollback the pool sends after
every transaction it takes back is a trip only when one is.

Used for every SQLite engine (see :func:`shared.storage.database.create_engine`); PostgreSQL
keeps its own driver.
"""

from __future__ import annotations

import collections
import sqlite3
from collections.abc import Sequence
from typing import Any, cast

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_

#: What one statement brings back: the description, the rows, the row count, the last row id,
#: and whether a transaction is open after it.
Outcome = tuple[Any, list[Any], int, int | None, bool]


def _run(connection: sqlite3.Connection, operation: str, parameters: Any, many: bool) -> Outcome:
    """One statement on the driver's thread: execute, fetch every row, close the cursor."""
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else []
        return description, rows, cursor.rowcount, cursor.lastrowid, connection.in_transaction
    finally:
        cursor.close()


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    """A buffered cursor whose statement runs in one call on aiosqlite's thread."""

    __slots__ = ("_arraysize", "_description", "_lastrowid", "_rowcount")
    # There is no driver cursor left open to close.
    _awaitable_cursor_close = False

    def __init__(self, adapt_connection: Any) -> None:
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None
        self._arraysize = 1

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> int:
        return self._lastrowid  # type: ignore[return-value]

    @property
    def arraysize(self) -> int:
        return self._arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._arraysize = value

    @property
    def _owner(self) -> OneTripConnection:
        return cast("OneTripConnection", self._adapt_connection)

    def close(self) -> None:
        self._rows.clear()

    def execute(self, operation: Any, parameters: Any = None) -> None:
        self._statement(operation, parameters, many=False)

    def executemany(self, operation: Any, seq_of_parameters: Sequence[Any]) -> None:
        self._statement(operation, seq_of_parameters, many=True)

    def _statement(self, operation: Any, parameters: Any, *, many: bool) -> None:
        try:
            await_(self._trip(operation, parameters, many=many))
        except Exception as error:  # noqa: BLE001 - translated (or raised) as the base does
            # Whether the failed statement left a transaction open is not known: assume so,
            # so that the rollback that follows is sent.
            self._owner.open = True
            self._adapt_connection._handle_exception(error)

    async def _trip(self, operation: Any, parameters: Any, *, many: bool) -> None:
        driver: aiosqlite.Connection = self._connection  # type: ignore[assignment]
        async with self._adapt_connection._execute_mutex:
            outcome: Outcome = await driver._execute(  # type: ignore[no-untyped-call]
                _run, driver._conn, operation, parameters, many
            )
        self._description, rows, self._rowcount, self._lastrowid, open_ = outcome
        self._rows = collections.deque(rows)
        self._owner.open = open_


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    """Knows whether a transaction is open (SQLite says so after every statement, commit and
    rollback), so the pool's rollback of a connection it takes back, sent after every
    transaction, is a trip only when there is something to roll back."""

    __slots__ = ("open",)
    _cursor_cls = OneTripCursor

    def __init__(self, dbapi: Any, connection: Any) -> None:
        super().__init__(dbapi, connection)
        self.open = False

    def commit(self) -> None:
        super().commit()
        self.open = False

    def rollback(self) -> None:
        if self.open:
            super().rollback()
            self.open = False


class OneTripDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """The aiosqlite DB-API adaptation, with connections whose cursors make one trip."""

    def connect(self, *arg: Any, **kw: Any) -> OneTripConnection:
        adapted = super().connect(*arg, **kw)
        return OneTripConnection(self, adapted._connection)


def dbapi() -> OneTripDBAPI:
    """The DB-API module to give SQLAlchemy's ``sqlite+aiosqlite`` dialect (``module=``)."""
    return OneTripDBAPI(aiosqlite, sqlite3)
