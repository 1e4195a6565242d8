"""The notifier's own store: alert states and the shared ledger (policy), and the delivery
outbox (one row per notification and target, written before sending)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from services.notifier.policy.prevention import Ledger
from services.notifier.policy.state import AlertState
from shared.clock import SYSTEM_CLOCK, Clock
from shared.store import Store

MIGRATIONS = [
    """
    CREATE TABLE alerts (
        fingerprint TEXT PRIMARY KEY, state TEXT NOT NULL, correlation_id TEXT NOT NULL,
        next_due REAL, status TEXT NOT NULL, updated_at REAL NOT NULL);
    CREATE INDEX alerts_next_due ON alerts (next_due);
    CREATE TABLE ledger (id INTEGER PRIMARY KEY CHECK (id = 1), body TEXT NOT NULL);
    CREATE TABLE outbox (
        notification_id TEXT NOT NULL, target TEXT NOT NULL, status TEXT NOT NULL,
        attempts INTEGER NOT NULL, due_at REAL, body TEXT NOT NULL, reference TEXT, error TEXT,
        updated_at REAL NOT NULL, PRIMARY KEY (notification_id, target));
    CREATE INDEX outbox_due ON outbox (status, due_at)
    """,
]


@dataclass
class OutboxRow:
    notification_id: str
    target: str
    status: str  # sending, sent, retry, failed, unknown
    attempts: int  # tries that ended in an error (rate-limit waits are not counted)
    due_at: float | None
    body: str
    reference: str | None = None
    error: str | None = None


class NotifierStore:
    def __init__(self, url: str, *, clock: Clock = SYSTEM_CLOCK) -> None:
        self.store = Store(url, migrations=MIGRATIONS)
        self.clock = clock  # stamps updated_at, which prune() compares

    # -- policy --------------------------------------------------------------------------------
    def alert(self, fingerprint: str) -> tuple[AlertState, str] | None:
        rows = self.store.query(
            "SELECT state, correlation_id FROM alerts WHERE fingerprint = ?", (fingerprint,)
        )
        if not rows:
            return None
        return AlertState.model_validate_json(rows[0]["state"]), str(rows[0]["correlation_id"])

    def ledger(self) -> Ledger:
        rows = self.store.query("SELECT body FROM ledger WHERE id = 1")
        return Ledger.model_validate_json(rows[0]["body"]) if rows else Ledger()

    def save(
        self, state: AlertState | None, fingerprint: str, correlation_id: str, ledger: Ledger
    ) -> None:
        """The alert's new state and the ledger, together."""
        with self.store.transaction() as db:
            if state is not None:
                due = min((t.due_at.timestamp() for t in state.timers), default=None)
                db.execute(
                    "INSERT INTO alerts (fingerprint, state, correlation_id, next_due, status, "
                    "updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (fingerprint) DO UPDATE "
                    "SET state = excluded.state, correlation_id = excluded.correlation_id, "
                    "next_due = excluded.next_due, status = excluded.status, "
                    "updated_at = excluded.updated_at",
                    (
                        fingerprint,
                        state.model_dump_json(),
                        correlation_id,
                        due,
                        state.status,
                        self.clock.time(),
                    ),
                )
            db.execute(
                "INSERT OR REPLACE INTO ledger (id, body) VALUES (1, ?)",
                (ledger.model_dump_json(),),
            )

    def due(self, now: float) -> list[str]:
        rows = self.store.query(
            "SELECT fingerprint FROM alerts WHERE next_due IS NOT NULL AND next_due <= ? "
            "ORDER BY next_due",
            (now,),
        )
        return [str(row["fingerprint"]) for row in rows]

    def open_alerts(self) -> list[AlertState]:
        rows = self.store.query("SELECT state FROM alerts WHERE status != 'resolved'")
        return [AlertState.model_validate_json(row["state"]) for row in rows]

    def prune(self, before: float) -> int:
        """Forget resolved alerts and finished deliveries older than ``before``."""
        with self.store.transaction() as db:
            gone = db.execute(
                "DELETE FROM alerts WHERE status = 'resolved' AND updated_at < ?", (before,)
            ).rowcount
            gone += db.execute(
                "DELETE FROM outbox WHERE status IN ('sent', 'failed', 'unknown') AND "
                "updated_at < ?",
                (before,),
            ).rowcount
        return int(gone)

    # -- outbox --------------------------------------------------------------------------------
    def outbox(self, notification_id: str, target: str) -> OutboxRow | None:
        rows = self.store.query(
            "SELECT notification_id, target, status, attempts, due_at, body, reference, error "
            "FROM outbox WHERE notification_id = ? AND target = ?",
            (notification_id, target),
        )
        return OutboxRow(**dict(rows[0])) if rows else None

    def claim(self, notification_id: str, target: str, body: str) -> bool:
        """Record the send before it happens; False when this pair was seen already."""
        changed = self.store.execute(
            "INSERT OR IGNORE INTO outbox (notification_id, target, status, attempts, due_at, "
            "body, updated_at) VALUES (?, ?, 'sending', 0, NULL, ?, ?)",
            (notification_id, target, body, self.clock.time()),
        )
        return changed == 1

    def mark(self, row: OutboxRow, **changes: Any) -> None:
        for key, value in changes.items():
            setattr(row, key, value)
        self.store.execute(
            "UPDATE outbox SET status = ?, attempts = ?, due_at = ?, reference = ?, error = ?, "
            "updated_at = ? WHERE notification_id = ? AND target = ?",
            (
                row.status,
                row.attempts,
                row.due_at,
                row.reference,
                row.error,
                self.clock.time(),
                row.notification_id,
                row.target,
            ),
        )

    def retries_due(self, now: float) -> list[OutboxRow]:
        rows = self.store.query(
            "SELECT notification_id, target, status, attempts, due_at, body, reference, error "
            "FROM outbox WHERE status = 'retry' AND due_at <= ? ORDER BY due_at LIMIT 500",
            (now,),
        )
        return [OutboxRow(**dict(row)) for row in rows]

    def interrupted(self) -> int:
        """Sends a crash cut short: their outcome is unknown, and they are never sent again."""
        return self.store.execute(
            "UPDATE outbox SET status = 'unknown', error = 'interrupted while sending' "
            "WHERE status = 'sending'"
        )

    def counts(self) -> dict[str, int]:
        rows = self.store.query("SELECT status, COUNT(*) AS n FROM outbox GROUP BY status")
        return {str(row["status"]): int(row["n"]) for row in rows}

    def close(self) -> None:
        self.store.close()
