"""Which database a service uses: ``storage.url``, a per-service override, or SQLite files.

Accepted URLs: ``sqlite:///relative/path.db``, ``sqlite:////absolute/path.db``,
``sqlite:///:memory:`` and ``postgresql://user:password@host:port/db`` (``postgres://`` too,
with any libpq query parameters such as ``sslmode``). The driver is ours to choose: aiosqlite
for SQLite, psycopg 3 for PostgreSQL; a URL that already names one of them is kept.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from shared.config import Settings
from shared.errors import ConfigError

_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+psycopg",
    "postgres": "postgresql+psycopg",
    "postgresql+psycopg": "postgresql+psycopg",
}


def storage_url(settings: Settings, service: str, override: str = "") -> str:
    """The URL a service's tables live at: its own override, else ``storage.url``, else a
    SQLite file named after the service in ``storage.data_directory``."""
    if override:
        return override
    return settings.storage.url or sqlite_file_url(settings, service)


def sqlite_file_url(settings: Settings, name: str) -> str:
    """The SQLite file ``<name>.db`` in ``storage.data_directory``."""
    return f"sqlite:///{Path(settings.storage.data_directory) / f'{name}.db'}"


def engine_url(url: str) -> URL:
    """The SQLAlchemy URL (with our async driver) for a configured URL; a clear error if it is
    not one we accept."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        parsed = None
    if parsed is None or parsed.drivername not in _DRIVERS:
        raise ConfigError(
            [
                f"unsupported storage URL {_redacted(url)!r}: use sqlite:///path/to/file.db or "
                "postgresql://user:password@host:port/database"
            ]
        )
    return parsed.set(drivername=_DRIVERS[parsed.drivername])


def _redacted(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url.split("@")[-1]
