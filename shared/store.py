"""Each stateful service's own store: SQLite by default, addressed by a URL setting.

``sqlite:///relative/path.db``, ``sqlite:////absolute/path.db`` or ``sqlite:///:memory:``.
Schema migrations are a numbered list of SQL scripts per service; a store applies the ones it has
not applied yet, each in its own transaction, and records the version in ``schema_version``.
Calls are synchronous: each is a short local operation on a WAL-mode database.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from shared.config import Settings
from shared.errors import ConfigError
from shared.storage.url import sqlite_file_url

SQLITE_PREFIX = "sqlite:///"


def store_url_for(settings: Settings, service: str, configured: str) -> str:
    """``configured`` if set, else a SQLite file named after the service in the data directory
    (these stores are SQLite only: ``storage.url`` applies to the storage layer's stores)."""
    return configured or sqlite_file_url(settings, service)


class Store:
    """A SQLite database with versioned migrations."""

    def __init__(self, url: str, *, migrations: Sequence[str]) -> None:
        if not url.startswith(SQLITE_PREFIX):
            raise ConfigError([f"unsupported store URL {url!r}: use sqlite:///path/to/file.db"])
        target = url[len(SQLITE_PREFIX) :]
        if target != ":memory:":
            Path(target).parent.mkdir(parents=True, exist_ok=True)
        self.url = url
        self._db = sqlite3.connect(target, isolation_level=None, check_same_thread=False)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA busy_timeout=5000")
        self._migrate(migrations)

    def _migrate(self, migrations: Sequence[str]) -> None:
        self._db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        row = self._db.execute("SELECT MAX(version) FROM schema_version").fetchone()
        current = int(row[0] or 0)
        if current > len(migrations):
            raise ConfigError(
                [
                    f"store {self.url} has schema version {current}, newer than this build "
                    f"({len(migrations)})"
                ]
            )
        for version, script in enumerate(migrations, start=1):
            if version <= current:
                continue
            with self.transaction():
                for statement in _statements(script):
                    self._db.execute(statement)
                self._db.execute("INSERT INTO schema_version (version) VALUES (?)", (version,))

    @property
    def schema_version(self) -> int:
        row = self._db.execute("SELECT MAX(version) FROM schema_version").fetchone()
        return int(row[0] or 0)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """All statements in the block commit together, or none does."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement; return the number of rows it changed."""
        return self._db.execute(sql, params).rowcount

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        return self._db.execute(sql, params).fetchall()

    def close(self) -> None:
        self._db.close()


def _statements(script: str) -> list[str]:
    return [part.strip() for part in script.split(";") if part.strip()]
