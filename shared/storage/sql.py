"""Statements that differ between SQLite and PostgreSQL, written once."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypedDict, TypeVar, Unpack

from sqlalchemy import ColumnElement, Executable, Row, Select, Table, and_, bindparam, case, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.storage.sqlite_driver import GATHER, SEND_LATER, OneTripConnection

_S = TypeVar("_S", bound=Executable)

#: Rows to write, each a mapping of column names to values.
Rows = Sequence[Mapping[str, Any]]

#: A read: a statement and its parameters.
Read = tuple[Executable, Mapping[str, Any]]

#: Given the ``excluded`` row of an upsert (the values that were to be inserted), the columns
#: to set on the existing row.
Changes = Callable[[Any], Mapping[str, Any]]


class On(TypedDict, total=False):
    """What an upsert does where a row conflicts on its key: keep the existing row
    (``ignore``), set ``changes(excluded)``, or by default every other column to its new value;
    with ``only_if`` (given ``excluded``), change the existing row only where it holds."""

    changes: Changes
    ignore: bool
    only_if: Callable[[Any], ColumnElement[bool]]


async def upsert(
    db: AsyncConnection, table: Table, rows: Rows, *, key: Sequence[str], **on: Unpack[On]
) -> None:
    """Insert ``rows``; where one conflicts on ``key``, do as ``on`` says (see :class:`On`). It
    answers nothing, so on SQLite it travels with the transaction's next statement or its
    commit (one trip fewer); :func:`upserted` answers which rows it wrote."""
    if not rows:
        return
    statement = _upsert(db.dialect.name, table, key, on, answer=False)
    for group in _by_columns(rows):
        await db.execute(statement, group)


def later(statement: _S) -> _S:
    """``statement`` as a write whose caller reads nothing back (no rows, no row count): on
    SQLite it travels with the transaction's next statement or its commit, one trip fewer; a
    failure surfaces there and fails the transaction all the same."""
    return statement.execution_options(**{SEND_LATER: True})


async def upserted(
    db: AsyncConnection, table: Table, rows: Rows, *, key: Sequence[str], **on: Unpack[On]
) -> list[tuple[Any, ...]]:
    """:func:`upsert`, answering the ``key`` values of the rows inserted or changed (with
    ``ignore``: of the rows that were new). RETURNING, not rowcount: drivers do not agree on
    rowcount for INSERT ... ON CONFLICT."""
    if not rows:
        return []
    returning = _upsert(db.dialect.name, table, key, on, answer=True)
    answered: list[tuple[Any, ...]] = []
    for group in _by_columns(rows):
        answered += [tuple(row) for row in (await db.execute(returning, group)).all()]
    return answered


async def read_together(db: AsyncConnection, reads: Sequence[Read]) -> list[list[tuple[Any, ...]]]:
    """The rows of each of ``reads`` (none depending on another's answer), in order. On SQLite
    they make one trip to the driver's thread together (with the statements waiting for it),
    where each would make its own; PostgreSQL runs them one after another. Values come as the
    driver gives them (text, numbers, bytes): read no column whose type converts what it
    reads."""
    if db.dialect.name != "sqlite" or len(reads) < 2:
        return [[tuple(row) for row in await db.execute(q, dict(p))] for q, p in reads]
    connection = (await db.get_raw_connection()).dbapi_connection
    if not isinstance(connection, OneTripConnection):
        raise TypeError(f"not a connection of shared.storage's SQLite driver: {connection!r}")
    connection.gathered = []  # what an earlier trip gathered is never taken for these
    *first, (last, parameters) = reads
    for statement, named in first:
        await db.execute(statement, dict(named), execution_options={GATHER: True})
    rows = [tuple(row) for row in await db.execute(last, dict(parameters))]
    gathered = connection.gathered
    if len(gathered) != len(first):
        raise RuntimeError(f"{len(first)} reads gathered but {len(gathered)} answered")
    return [*(list(map(tuple, found)) for found in gathered), rows]


def any_of(column: ColumnElement[Any]) -> ColumnElement[bool]:
    """``column IN (…)``, the values given when the statement runs as ``{"ids": [...]}``: for
    statements built once, at import or per table. Building a statement and keying it for
    SQLAlchemy's cache costs about as much as a trip to SQLite's thread, more than SQLite's
    part of running a small one."""
    return column.in_(bindparam("ids", expanding=True))


def _upsert(dialect: str, table: Table, key: Sequence[str], on: On, *, answer: bool) -> Any:
    """The statement of an upsert: answering the keys of the rows it wrote (RETURNING), or
    marked to travel :func:`later`. One statement with the rows as parameters, compiled once and
    cached; rows given as VALUES would be compiled anew for every call, a cost that grows with
    rows x columns. An upsert without ``changes`` or ``only_if`` (most of them) is also built
    once (see :func:`any_of` for why)."""
    if "changes" in on or "only_if" in on:
        return _built(dialect, table, key, on, answer)
    return _plain(dialect, table, tuple(key), bool(on.get("ignore")), answer)


@functools.cache
def _plain(dialect: str, table: Table, key: tuple[str, ...], ignore: bool, answer: bool) -> Any:
    return _built(dialect, table, key, {"ignore": ignore}, answer)


def _built(dialect: str, table: Table, key: Sequence[str], on: On, answer: bool) -> Any:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(table)
    keys = [table.c[name] for name in key]
    if on.get("ignore"):
        done = statement.on_conflict_do_nothing(index_elements=keys)
    else:
        new = statement.excluded
        changes, only_if = on.get("changes"), on.get("only_if")
        values = (
            changes(new)
            if changes is not None
            else {c.name: new[c.name] for c in table.columns if c.name not in key}
        )
        done = statement.on_conflict_do_update(
            index_elements=keys,
            set_=dict(values),
            where=only_if(new) if only_if is not None else None,
        )
    return done.returning(*keys) if answer else later(done)


def _by_columns(rows: Rows) -> list[Rows]:
    """``rows`` (at least one) in groups that name the same columns (a column a row leaves out
    takes its default), in the order each group first appears (one group, as given, when they
    all do: the usual case)."""
    columns = rows[0].keys()
    if all(row.keys() == columns for row in rows):
        return [rows]
    groups: dict[frozenset[str], list[Mapping[str, Any]]] = {}
    for row in rows:
        groups.setdefault(frozenset(row), []).append(row)
    return list(groups.values())


def greatest(a: ColumnElement[Any], b: ColumnElement[Any]) -> ColumnElement[Any]:
    """The larger of two values, in both dialects (SQLite has no ``GREATEST``)."""
    return case((a >= b, a), else_=b)


async def locked(db: AsyncConnection, table: Table, row: Mapping[str, Any]) -> Row[Any]:
    """The row of ``table`` whose primary key ``row`` names, locked until the transaction ends
    (on PostgreSQL the row's lock; SQLite's transactions hold the database's write lock): made
    from ``row`` first if missing. A row that exists is one statement."""
    key = list(table.primary_key.columns)
    query, named = _locking(table), {f"key_{c.name}": row[c.name] for c in key}
    found = (await db.execute(query, named)).first()
    if found is None:
        await upsert(db, table, [row], key=[c.name for c in key], ignore=True)
        found = (await db.execute(query, named)).one()
    return found


@functools.cache
def _locking(table: Table) -> Select[*tuple[Any, ...]]:
    """The statement reading ``table``'s row by its primary key (parameters ``key_<column>``),
    locked: built once a table (see :func:`any_of` for why)."""
    key = table.primary_key.columns
    return (
        select(table).where(and_(*(c == bindparam(f"key_{c.name}") for c in key))).with_for_update()
    )


async def hold(db: AsyncConnection, table: Table, row: Mapping[str, Any]) -> None:
    """Hold a lock named by ``row`` (it names ``table``'s primary key) until the transaction
    ends: transactions that hold the same one go one after another. On PostgreSQL that is the
    row's lock (see :func:`locked`); on SQLite there is nothing to do: every transaction begins
    ``IMMEDIATE`` and so holds the database's write lock already (the row is not made)."""
    if db.dialect.name != "sqlite":
        await locked(db, table, row)
