"""One storage layer for every service: SQLite (embedded default) or PostgreSQL, chosen by URL.

A service opens one :class:`Database` for its URL and names the :class:`StoreSchema` s it keeps
there; each schema is migrated on open (serialised across replicas by a database lock) and the
service refuses a schema newer than its build. Every call is non-blocking (SQLAlchemy asyncio,
aiosqlite or psycopg underneath).
"""

from shared.storage.database import Database, open_database
from shared.storage.migrate import StoreSchema, migrate
from shared.storage.sql import (
    Read,
    any_of,
    greatest,
    hold,
    later,
    locked,
    read_together,
    upsert,
    upserted,
)
from shared.storage.url import engine_url, storage_url

__all__ = [
    "Database",
    "Read",
    "StoreSchema",
    "any_of",
    "engine_url",
    "greatest",
    "hold",
    "later",
    "locked",
    "migrate",
    "open_database",
    "read_together",
    "storage_url",
    "upsert",
    "upserted",
]
