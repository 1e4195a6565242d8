"""The storage layer on both backends: one migration history, applied once however many
replicas start together, refused when newer than the build; statements that behave alike."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, column, inspect, select, table, update

from services.analyzer.tables import SCHEMA as ANALYZER
from services.api.tables import SCHEMA as API
from services.ingest.tables import SCHEMA as INGEST
from services.ingest.tables import sentry_marks
from services.notifier.delivery.github_tables import SCHEMA as NOTIFIER_GITHUB
from services.notifier.delivery.jira_tables import SCHEMA as NOTIFIER_JIRA
from services.notifier.slack.tables import SCHEMA as NOTIFIER_SLACK
from services.notifier.tables import SCHEMA as NOTIFIER
from services.resolver.tables import SCHEMA as RESOLVER
from shared.errors import ConfigError
from shared.storage import (
    Database,
    StoreSchema,
    any_of,
    engine_url,
    greatest,
    open_database,
    read_together,
    upsert,
    upserted,
)
from shared.storage.migrate import current_revisions

SCHEMAS = [
    INGEST,
    ANALYZER,
    RESOLVER,
    NOTIFIER,
    NOTIFIER_SLACK,
    NOTIFIER_GITHUB,
    NOTIFIER_JIRA,
    API,
]
VERSIONS = table(INGEST.version_table, column("version_num"))


def _differences(connection: Connection, schema: StoreSchema) -> list[object]:
    context = MigrationContext.configure(connection, opts={"version_table": schema.version_table})
    return [
        diff
        for diff in compare_metadata(context, schema.metadata)
        # other stores' tables may share the database
        if not (diff[0] == "remove_table" and diff[1].name.startswith("alembic_version_"))
    ]


@pytest.mark.parametrize("schema", SCHEMAS, ids=lambda s: s.name)
async def test_the_migration_history_builds_exactly_the_declared_tables(
    storage_url: str, schema: StoreSchema
) -> None:
    database = await open_database(storage_url, schemas=[schema])
    try:
        async with database.transaction() as db:
            assert await db.run_sync(_differences, schema) == []
            revisions = await db.run_sync(current_revisions, schema)
        assert revisions == (schema.scripts().get_current_head(),)
    finally:
        await database.close()


async def test_replicas_starting_together_migrate_once(storage_url: str) -> None:
    opened = await asyncio.gather(*(open_database(storage_url, schemas=SCHEMAS) for _ in range(6)))
    try:
        async with opened[0].transaction() as db:
            rows = (await db.execute(select(VERSIONS))).all()
            tables = await db.run_sync(lambda c: inspect(c).get_table_names())
        assert len(rows) == 1
        assert {"alembic_version_ingest", "alembic_version_analyzer"} <= set(tables)
    finally:
        for database in opened:
            await database.close()


async def test_a_schema_newer_than_the_build_is_refused(storage_url: str) -> None:
    database = await open_database(storage_url, schemas=SCHEMAS)
    async with database.transaction() as db:
        await db.execute(update(VERSIONS).values(version_num="ingest_9999_from_the_future"))
    await database.close()
    with pytest.raises(ConfigError, match="newer than this build"):
        await open_database(storage_url, schemas=SCHEMAS)


async def test_upserts_and_greatest_behave_alike_on_both_backends(storage_url: str) -> None:
    database = await open_database(storage_url, schemas=SCHEMAS)
    try:
        for stamp in ("2026-01-02", "2026-01-01", "2026-01-03"):
            async with database.transaction() as db:
                await upsert(
                    db,
                    sentry_marks,
                    [{"project": "web", "last_seen": stamp}],
                    key=["project"],
                    changes=lambda new: {
                        "last_seen": greatest(sentry_marks.c.last_seen, new.last_seen)
                    },
                )
        async with database.transaction() as db:
            inserted = await upserted(
                db,
                sentry_marks,
                [{"project": "web", "last_seen": "1999"}],
                key=["project"],
                ignore=True,
            )
            marks = (await db.execute(select(sentry_marks))).all()
        assert inserted == []
        assert [tuple(m) for m in marks] == [("web", "2026-01-03")]
    finally:
        await database.close()


async def test_reads_read_together_answer_alike_on_both_backends(storage_url: str) -> None:
    database = await open_database(storage_url, schemas=[INGEST])
    marks = select(sentry_marks.c.project, sentry_marks.c.last_seen)
    try:
        async with database.transaction() as db:
            rows = [{"project": p, "last_seen": f"2026-01-0{n}"} for n, p in enumerate("abc", 1)]
            await upsert(db, sentry_marks, rows, key=["project"])
            found = await read_together(
                db,
                [
                    (
                        marks.where(any_of(sentry_marks.c.project)).order_by("project"),
                        {"ids": ["a", "c"]},
                    ),
                    (marks.where(any_of(sentry_marks.c.project)), {"ids": []}),
                    (select(sentry_marks.c.last_seen).where(sentry_marks.c.project == "b"), {}),
                ],
            )
        assert found == [[("a", "2026-01-01"), ("c", "2026-01-03")], [], [("2026-01-02",)]]
    finally:
        await database.close()


@pytest.mark.parametrize("where", ["file", "memory"])
async def test_concurrent_read_modify_write_transactions_of_one_process_lose_nothing(
    where: str, tmp_path: Path
) -> None:
    """Tasks of one service (consumers, background loops) share its SQLite database, through
    one Database or several on the same file: their transactions take turns, none is lost."""
    url = f"sqlite:///{tmp_path / 'one.db'}" if where == "file" else "sqlite:///:memory:"
    first = await open_database(url, schemas=[INGEST])
    second = first if where == "memory" else await open_database(url, schemas=[INGEST])

    async def bump(database: Database) -> None:
        async with database.transaction() as db:
            found = (await db.execute(select(sentry_marks.c.last_seen))).scalar_one_or_none()
            await asyncio.sleep(0)  # another task runs here: it must not be inside a transaction
            value = str(int(found or 0) + 1)
            await upsert(
                db, sentry_marks, [{"project": "web", "last_seen": value}], key=["project"]
            )

    try:
        await asyncio.gather(*(bump(first if i % 2 else second) for i in range(40)))
        async with first.transaction() as db:
            assert (await db.execute(select(sentry_marks.c.last_seen))).scalar_one() == "40"
    finally:
        await first.close()
        if second is not first:
            await second.close()


@pytest.mark.parametrize(
    ("given", "driver"),
    [
        ("sqlite:///data/ingest.db", "sqlite+aiosqlite"),
        ("sqlite:///:memory:", "sqlite+aiosqlite"),
        ("postgresql://alertorch:pw@db:5432/alertorch", "postgresql+psycopg"),
        ("postgres://alertorch@db/alertorch?sslmode=require", "postgresql+psycopg"),
    ],
)
def test_plain_urls_get_our_drivers(given: str, driver: str) -> None:
    assert engine_url(given).drivername == driver


@pytest.mark.parametrize("given", ["mysql://u:secret@h/db", "not a url", "/var/data/x.db"])
def test_other_urls_are_refused_without_showing_a_password(given: str) -> None:
    with pytest.raises(ConfigError, match="unsupported storage URL") as refused:
        engine_url(given)
    assert "secret" not in str(refused.value)
