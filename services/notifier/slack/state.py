"""What the Slack integration remembers, in the notifier's store: the root message of each
problem in each channel (with its count, status, who acted and the digest waiting to be shown),
and every message we posted (so a button press finds its problem).

The service opens ``Store(url, migrations=SLACK_MIGRATIONS)``; the tables survive a restart, so
a problem's thread is reused after one.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, replace
from typing import Any

from shared.events import ErrorSummary
from shared.events.notification import ButtonAction
from shared.store import Store

SLACK_MIGRATIONS: list[str] = [
    """
    CREATE TABLE slack_roots (
        fingerprint TEXT NOT NULL,
        channel TEXT NOT NULL,
        channel_id TEXT NOT NULL,
        ts TEXT NOT NULL,
        count INTEGER NOT NULL,
        status TEXT NOT NULL,
        acted_by TEXT NOT NULL DEFAULT '',
        latest TEXT NOT NULL DEFAULT '',
        summary TEXT NOT NULL,
        actions TEXT NOT NULL,
        attempt_id TEXT,
        level INTEGER NOT NULL DEFAULT 0,
        posted_at REAL NOT NULL,
        updated_at REAL NOT NULL,
        dirty INTEGER NOT NULL DEFAULT 0,
        not_before REAL NOT NULL DEFAULT 0,
        pending_updates INTEGER NOT NULL DEFAULT 0,
        pending_text TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (fingerprint, channel)
    );
    CREATE INDEX slack_roots_dirty ON slack_roots (dirty, updated_at);
    CREATE INDEX slack_roots_updated ON slack_roots (updated_at);
    CREATE TABLE slack_messages (
        channel_id TEXT NOT NULL,
        ts TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        channel TEXT NOT NULL,
        attempt_id TEXT,
        posted_at REAL NOT NULL,
        PRIMARY KEY (channel_id, ts)
    );
    CREATE INDEX slack_messages_posted ON slack_messages (posted_at)
    """,
]


_COLUMNS = (
    "fingerprint",
    "channel",
    "channel_id",
    "ts",
    "count",
    "status",
    "acted_by",
    "latest",
    "summary",
    "actions",
    "attempt_id",
    "level",
    "posted_at",
    "updated_at",
    "dirty",
    "not_before",
    "pending_updates",
    "pending_text",
)


@dataclass(frozen=True, slots=True)
class Root:
    """A problem's root message in one channel (webhook mode: ``ts`` and ``channel_id`` empty)."""

    fingerprint: str
    channel: str
    channel_id: str
    ts: str
    count: int
    status: str
    summary: ErrorSummary
    actions: tuple[ButtonAction, ...]
    attempt_id: str | None
    level: int
    posted_at: float
    updated_at: float
    acted_by: str = ""
    latest: str = ""
    dirty: bool = False
    not_before: float = 0.0
    pending_updates: int = 0
    pending_text: str = ""

    def with_(self, **changes: Any) -> Root:
        return replace(self, **changes)


def _root(row: sqlite3.Row) -> Root:
    return Root(
        fingerprint=row["fingerprint"],
        channel=row["channel"],
        channel_id=row["channel_id"],
        ts=row["ts"],
        count=row["count"],
        status=row["status"],
        summary=ErrorSummary.model_validate_json(row["summary"]),
        actions=tuple(json.loads(row["actions"])),
        attempt_id=row["attempt_id"],
        level=row["level"],
        posted_at=row["posted_at"],
        updated_at=row["updated_at"],
        acted_by=row["acted_by"],
        latest=row["latest"],
        dirty=bool(row["dirty"]),
        not_before=row["not_before"],
        pending_updates=row["pending_updates"],
        pending_text=row["pending_text"],
    )


@dataclass(frozen=True, slots=True)
class PostedMessage:
    channel_id: str
    ts: str
    fingerprint: str
    channel: str
    attempt_id: str | None


class SlackState:
    """Roots and posted messages in the service's store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def root(self, fingerprint: str, channel: str) -> Root | None:
        rows = self.store.query(
            "SELECT * FROM slack_roots WHERE fingerprint = ? AND channel = ?",
            (fingerprint, channel),
        )
        return _root(rows[0]) if rows else None

    def save(self, root: Root) -> None:
        """Insert or update ``root``. ``acted_by`` is written only on insert and by
        :meth:`set_acted_by` (a button press may land while a digest is being drawn)."""
        columns = [c for c in _COLUMNS if c not in ("fingerprint", "channel", "acted_by")]
        self.store.execute(
            f"INSERT INTO slack_roots ({', '.join(_COLUMNS)}) "  # noqa: S608 - fixed column names
            f"VALUES ({', '.join('?' for _ in _COLUMNS)}) "
            "ON CONFLICT (fingerprint, channel) DO UPDATE SET "
            + ", ".join(f"{c} = excluded.{c}" for c in columns),
            (
                root.fingerprint,
                root.channel,
                root.channel_id,
                root.ts,
                root.count,
                root.status,
                root.acted_by,
                root.latest,
                root.summary.model_dump_json(),
                json.dumps(list(root.actions)),
                root.attempt_id,
                root.level,
                root.posted_at,
                root.updated_at,
                int(root.dirty),
                root.not_before,
                root.pending_updates,
                root.pending_text,
            ),
        )

    def set_acted_by(self, fingerprint: str, channel: str, acted_by: str) -> Root | None:
        """Record who acted on the problem; the root is redrawn."""
        self.store.execute(
            "UPDATE slack_roots SET acted_by = ?, dirty = 1 WHERE fingerprint = ? AND channel = ?",
            (acted_by, fingerprint, channel),
        )
        return self.root(fingerprint, channel)

    def forget_root(self, fingerprint: str, channel: str) -> None:
        self.store.execute(
            "DELETE FROM slack_roots WHERE fingerprint = ? AND channel = ?", (fingerprint, channel)
        )

    def due(self, now: float, interval: float, limit: int) -> list[Root]:
        """Roots with changes to show whose last update is at least ``interval`` old."""
        rows = self.store.query(
            "SELECT * FROM slack_roots WHERE dirty = 1 AND updated_at <= ? AND not_before <= ? "
            "ORDER BY updated_at LIMIT ?",
            (now - interval, now, limit),
        )
        return [_root(r) for r in rows]

    def remember_message(self, message: PostedMessage, now: float) -> None:
        self.store.execute(
            "INSERT OR REPLACE INTO slack_messages "
            "(channel_id, ts, fingerprint, channel, attempt_id, posted_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (
                message.channel_id,
                message.ts,
                message.fingerprint,
                message.channel,
                message.attempt_id,
                now,
            ),
        )

    def message(self, channel_id: str, ts: str) -> PostedMessage | None:
        rows = self.store.query(
            "SELECT * FROM slack_messages WHERE channel_id = ? AND ts = ?", (channel_id, ts)
        )
        if not rows:
            return None
        row = rows[0]
        return PostedMessage(
            row["channel_id"], row["ts"], row["fingerprint"], row["channel"], row["attempt_id"]
        )

    def prune(self, before: float) -> int:
        """Forget roots and messages untouched since ``before``; a later alert starts afresh."""
        with self.store.transaction() as db:
            gone = db.execute(
                "DELETE FROM slack_roots WHERE updated_at < ? AND dirty = 0", (before,)
            ).rowcount
            db.execute("DELETE FROM slack_messages WHERE posted_at < ?", (before,))
        return int(gone)
