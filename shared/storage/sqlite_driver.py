"""SQLite under asyncio, at most one trip to the driver's thread per statement.

SQLAlchemy's ``aiosqlite`` adaptation runs every statement as four calls on aiosqlite's worker
thread (make a cursor, execute, fetch the rows, close the cursor), each a hand-over between the
event loop and the thread. The hand-overs, not SQLite, are most of a statement's cost: a
primary-key read takes about 9 us in SQLite and about 460 us of CPU through the four trips. Here
a cursor does all four in one call on the same thread, and keeps the rows, the description and
the counts it brought back. Nothing runs on the event loop's thread: a statement waiting on the
database lock (``busy_timeout``) still waits on the worker thread, never blocking the loop.
The connection also knows whether a transaction is open, so the rollback the pool sends after
every transaction it takes back is a trip only when one is.

A statement executed with the option :data:`SEND_LATER` (one whose caller reads nothing back:
the ``BEGIN`` of a transaction, an upsert that answers nothing) makes no trip of its own: it waits
on its connection and travels, in order, with the next statement, the commit or (never sent) the
rollback. A transaction of a read and three writes is then two trips instead of six. A waiting
statement that fails raises where it is sent; the transaction it belongs to fails with it.

A read executed with the option :data:`GATHER` waits the same way, and its rows are kept on the
connection (:attr:`OneTripConnection.gathered`) when the next statement's trip runs it: several
reads that do not depend on one another make one trip (see
:func:`shared.storage.sql.read_together`).

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

#: The execution option of a statement that may wait for the next trip (see above).
SEND_LATER = "alertorch_send_later"
#: The execution option of a read that waits for the next trip, its rows kept (see above).
GATHER = "alertorch_gather"

#: A statement as the cursor was given it: the SQL, its parameters, whether it runs once per
#: set of parameters (``executemany``), and whether its rows are kept (:data:`GATHER`).
Statement = tuple[str, Any, bool, bool]

#: What one trip brings back: the description, the rows, the row count and the last row id of
#: its last statement, whether a transaction is open after it, and the rows of each gathered
#: read it ran, in order.
Outcome = tuple[Any, list[Any], int, int | None, bool, list[list[Any]]]


def _execute(cursor: sqlite3.Cursor, operation: str, parameters: Any, many: bool) -> None:
    if many:
        cursor.executemany(operation, parameters)
    elif parameters is None:
        cursor.execute(operation)
    else:
        cursor.execute(operation, parameters)


def _waiting(cursor: sqlite3.Cursor, waiting: Sequence[Statement]) -> list[list[Any]]:
    """The statements waiting, in order; the rows of each gathered read."""
    gathered = []
    for operation, parameters, many, gather in waiting:
        _execute(cursor, operation, parameters, many)
        if gather:
            gathered.append(cursor.fetchall())
    return gathered


def _run(
    connection: sqlite3.Connection,
    waiting: Sequence[Statement],
    operation: str,
    parameters: Any,
    many: bool,
) -> Outcome:
    """On the driver's thread: the statements waiting, then this one (fetching every row)."""
    cursor = connection.cursor()
    try:
        gathered = _waiting(cursor, waiting)
        _execute(cursor, operation, parameters, many)
        description = cursor.description
        rows = cursor.fetchall() if description else []
        open_ = connection.in_transaction
        return description, rows, cursor.rowcount, cursor.lastrowid, open_, gathered
    finally:
        cursor.close()


def _commit(connection: sqlite3.Connection, waiting: Sequence[Statement]) -> None:
    """On the driver's thread: the statements waiting, then the commit."""
    cursor = connection.cursor()
    try:
        _waiting(cursor, waiting)
    finally:
        cursor.close()
    connection.commit()


async def _nothing() -> None:
    """Done at once: an await that neither waits nor yields to the event loop."""


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    """A buffered cursor whose statement runs in one call on aiosqlite's thread."""

    __slots__ = ("_arraysize", "_description", "_lastrowid", "_rowcount", "gather", "send_later")
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
        #: Set by the engine (``before_cursor_execute``) for a statement run with SEND_LATER.
        self.send_later = False
        #: Set the same way for a read run with GATHER.
        self.gather = False

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
        owner = self._owner
        if self.send_later or self.gather:
            owner.waiting.append((operation, parameters, many, self.gather))
            self._description, self._rowcount, self._lastrowid = None, -1, None
            self._rows.clear()
            # SQLAlchemy's async engine requires every execution to await something.
            await_(_nothing())
            return
        waiting, owner.waiting = owner.waiting, []
        try:
            await_(self._trip(waiting, operation, parameters, many=many))
        except Exception as error:  # noqa: BLE001 - translated (or raised) as the base does
            # Whether the failed statement left a transaction open is not known: assume so,
            # so that the rollback that follows is sent.
            owner.open = True
            self._adapt_connection._handle_exception(error)

    async def _trip(
        self, waiting: list[Statement], operation: Any, parameters: Any, *, many: bool
    ) -> None:
        driver: aiosqlite.Connection = self._connection  # type: ignore[assignment]
        async with self._adapt_connection._execute_mutex:
            outcome: Outcome = await driver._execute(  # type: ignore[no-untyped-call]
                _run, driver._conn, waiting, operation, parameters, many
            )
        self._description, rows, self._rowcount, self._lastrowid, open_, gathered = outcome
        self._rows = collections.deque(rows)
        self._owner.open = open_
        self._owner.gathered = gathered


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    """Holds the statements waiting for the next trip, and knows whether a transaction is open
    (SQLite says so after every statement, commit and rollback), so the pool's rollback of a
    connection it takes back, sent after every transaction, is a trip only when there is
    something to roll back."""

    __slots__ = ("gathered", "open", "waiting")
    _cursor_cls = OneTripCursor

    def __init__(self, dbapi: Any, connection: Any) -> None:
        super().__init__(dbapi, connection)
        self.open = False
        self.waiting: list[Statement] = []
        #: The rows of the gathered reads the last trip ran, in order.
        self.gathered: list[list[Any]] = []

    def commit(self) -> None:
        waiting, self.waiting = self.waiting, []
        if not waiting:
            super().commit()
            self.open = False
            return
        driver: aiosqlite.Connection = self._connection  # type: ignore[assignment]
        try:
            await_(driver._execute(_commit, driver._conn, waiting))  # type: ignore[no-untyped-call]
        except Exception as error:  # noqa: BLE001 - translated (or raised) as the base does
            self.open = True
            self._handle_exception(error)
        self.open = False

    def rollback(self) -> None:
        self.waiting = []  # never sent: nothing of them to undo
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
