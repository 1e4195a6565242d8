"""What the Sentry poller has published, kept in the ingest store so a restart resumes exactly.

Per project a high-water mark: the newest ``lastSeen`` published. Per issue the count last
published, kept only while the issue's ``lastSeen`` is at or after the mark (older issues are
never fetched again), so the table stays bounded.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

from shared.store import Store


def stamp(when: datetime) -> str:
    """A UTC timestamp in one fixed format, so text order is time order."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class SentryMarks:
    def __init__(self, store: Store) -> None:
        self._store = store

    def mark(self, project: str) -> datetime | None:
        rows = self._store.query("SELECT last_seen FROM sentry_marks WHERE project = ?", (project,))
        return datetime.fromisoformat(rows[0][0]) if rows else None

    def published_count(self, issue_id: str) -> int | None:
        rows = self._store.query("SELECT count FROM sentry_issues WHERE issue_id = ?", (issue_id,))
        return int(rows[0][0]) if rows else None

    def record(self, project: str, issue_id: str, count: int, last_seen: datetime) -> None:
        """After the broker acknowledged an issue's event: remember it and advance the mark."""
        seen = stamp(last_seen)
        with self._store.transaction() as db:
            db.execute(
                "INSERT INTO sentry_issues (issue_id, project, count, last_seen) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (issue_id) DO UPDATE SET "
                "count = excluded.count, last_seen = excluded.last_seen, "
                "project = excluded.project",
                (issue_id, project, count, seen),
            )
            self._advance(db, project, seen)

    def advance(self, project: str, last_seen: datetime) -> None:
        """Move the mark forward (never back) and forget issues behind it."""
        with self._store.transaction() as db:
            self._advance(db, project, stamp(last_seen))
            db.execute(
                "DELETE FROM sentry_issues WHERE project = ? AND last_seen < "
                "(SELECT last_seen FROM sentry_marks WHERE project = ?)",
                (project, project),
            )

    @staticmethod
    def _advance(db: sqlite3.Connection, project: str, seen: str) -> None:
        db.execute(
            "INSERT INTO sentry_marks (project, last_seen) VALUES (?, ?) ON CONFLICT (project) "
            "DO UPDATE SET last_seen = MAX(last_seen, excluded.last_seen)",
            (project, seen),
        )
