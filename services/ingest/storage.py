"""The ingest service's own store: its schema migrations and how it is opened."""

from __future__ import annotations

from typing import Final

from shared.config import Settings
from shared.store import Store, store_url_for

MIGRATIONS: Final = (
    """
    CREATE TABLE request_ids (
        source TEXT NOT NULL,
        request_id TEXT NOT NULL,
        seen_at REAL NOT NULL,
        PRIMARY KEY (source, request_id)
    );
    CREATE INDEX request_ids_seen_at ON request_ids (seen_at);
    CREATE TABLE sentry_marks (
        project TEXT PRIMARY KEY,
        last_seen TEXT NOT NULL
    );
    CREATE TABLE sentry_issues (
        issue_id TEXT PRIMARY KEY,
        project TEXT NOT NULL,
        count INTEGER NOT NULL,
        last_seen TEXT NOT NULL
    );
    CREATE INDEX sentry_issues_project_last_seen ON sentry_issues (project, last_seen)
    """,
)


def open_store(settings: Settings) -> Store:
    return Store(
        store_url_for(settings, "ingest", settings.ingest.store_url), migrations=MIGRATIONS
    )
