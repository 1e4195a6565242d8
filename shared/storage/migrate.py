"""Each store's schema and its migration history, applied on start, one replica at a time.

A store (a service may keep several in one database) names its tables' :class:`MetaData` and a
folder of Alembic revision files; its applied revision is kept in its own version table,
``alembic_version_<name>``, so stores sharing a database never see each other's history. One
history serves both backends: revisions use Alembic's dialect-neutral operations.

:func:`migrate` runs in one transaction holding a database-wide lock (PostgreSQL: an advisory
transaction lock; SQLite: the write lock of ``BEGIN IMMEDIATE``), so N replicas starting
together migrate once and the rest find the work done. A database whose revision this build
does not know (written by a newer build) is refused with a :class:`ConfigError`.
"""

from __future__ import annotations

import asyncio
import logging
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog
from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, MetaData, text
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.errors import ConfigError

#: The key of PostgreSQL's advisory lock held while any alertorch store migrates.
LOCK_KEY = zlib.crc32(b"alertorch-migrate")

log = structlog.get_logger(__name__)
# Alembic narrates every step at INFO; what was applied is logged once below instead.
logging.getLogger("alembic").setLevel(logging.WARNING)


@dataclass(frozen=True)
class StoreSchema:
    name: str
    metadata: MetaData
    migrations: Path

    @property
    def version_table(self) -> str:
        return f"alembic_version_{self.name}"

    def scripts(self) -> ScriptDirectory:
        folder = str(self.migrations)
        return ScriptDirectory(folder, version_locations=[folder])


def current_revisions(connection: Connection, schema: StoreSchema) -> tuple[str, ...]:
    context = MigrationContext.configure(connection, opts={"version_table": schema.version_table})
    return tuple(context.get_current_heads())


def _upgrade(connection: Connection, schema: StoreSchema, to: str = "head") -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
    scripts = schema.scripts()
    known = {script.revision for script in scripts.walk_revisions()}
    newer = [rev for rev in current_revisions(connection, schema) if rev not in known]
    if newer:
        raise ConfigError(
            [
                f"store {schema.name!r} is at revision {', '.join(newer)}, newer than this build "
                f"(which knows up to {scripts.get_current_head()}): upgrade alertorch first"
            ]
        )

    before = current_revisions(connection, schema)

    def steps(revision: Any, _context: Any) -> Any:
        return scripts._upgrade_revs(to, revision)

    with EnvironmentContext(Config(), scripts, fn=steps, destination_rev=to) as environment:
        environment.configure(
            connection=connection,
            target_metadata=schema.metadata,
            version_table=schema.version_table,
        )
        with environment.begin_transaction():
            environment.run_migrations()
    after = current_revisions(connection, schema)
    if after != before:
        log.info("store migrated", store=schema.name, before=list(before), after=list(after))


#: Alembic keeps the running migration in process-wide globals (``alembic.context``,
#: ``alembic.op``): two migrations interleaving in one process would run each other's steps.
#: Across processes the database lock serialises them; within one, this lock does.
_IN_PROCESS = asyncio.Lock()


async def migrate(engine: AsyncEngine, schema: StoreSchema, *, to: str = "head") -> None:
    """Bring ``schema`` to this build's head revision (a no-op when it is there); ``to`` stops
    at an earlier revision (to test a data migration from it)."""
    async with _IN_PROCESS, engine.begin() as connection:
        await connection.run_sync(_upgrade, schema, to)
