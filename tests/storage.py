"""A test's database: opened and migrated for a block, closed after it, whatever happens."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from shared.storage import Database, StoreSchema, open_database


@asynccontextmanager
async def migrated(url: str, *schemas: StoreSchema) -> AsyncIterator[Database]:
    """The database at ``url`` with ``schemas`` at this build's head, closed when the block
    ends."""
    database = await open_database(url, schemas=schemas)
    try:
        yield database
    finally:
        await database.close()
