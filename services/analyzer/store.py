"""The analyzer's own store: per-fingerprint state, consumed offsets, the template snapshot."""

from __future__ import annotations

import json
import time

from services.analyzer.frequency import FingerprintState
from shared.store import Store

MIGRATIONS = [
    """
    CREATE TABLE fingerprint_state (
        fingerprint TEXT PRIMARY KEY, state TEXT NOT NULL, last_seen REAL NOT NULL);
    CREATE INDEX fingerprint_state_last_seen ON fingerprint_state (last_seen);
    CREATE TABLE consumed (
        topic TEXT NOT NULL, partition INTEGER NOT NULL, offset INTEGER NOT NULL,
        PRIMARY KEY (topic, partition));
    CREATE TABLE blobs (name TEXT PRIMARY KEY, value BLOB NOT NULL, updated_at REAL NOT NULL)
    """,
]


class AnalyzerStore:
    def __init__(self, url: str) -> None:
        self.store = Store(url, migrations=MIGRATIONS)

    def load_state(self, fingerprint: str) -> FingerprintState | None:
        rows = self.store.query(
            "SELECT state FROM fingerprint_state WHERE fingerprint = ?", (fingerprint,)
        )
        return FingerprintState.from_json(json.loads(rows[0]["state"])) if rows else None

    def processed(self, topic: str, partition: int, offset: int) -> bool:
        """True when this message's effects are already stored (a redelivery after a crash)."""
        rows = self.store.query(
            "SELECT offset FROM consumed WHERE topic = ? AND partition = ?", (topic, partition)
        )
        return bool(rows) and int(rows[0]["offset"]) >= offset

    def save(
        self, fingerprint: str, state: FingerprintState, *, topic: str, partition: int, offset: int
    ) -> None:
        """The fingerprint's new state and the consumed offset, together or not at all."""
        with self.store.transaction() as db:
            db.execute(
                "INSERT INTO fingerprint_state (fingerprint, state, last_seen) VALUES (?, ?, ?) "
                "ON CONFLICT (fingerprint) DO UPDATE SET state = excluded.state, "
                "last_seen = excluded.last_seen",
                (fingerprint, json.dumps(state.to_json()), state.last_seen),
            )
            db.execute(
                "INSERT INTO consumed (topic, partition, offset) VALUES (?, ?, ?) "
                "ON CONFLICT (topic, partition) DO UPDATE SET offset = excluded.offset",
                (topic, partition, offset),
            )

    def prune(self, before: float) -> int:
        """Drop states of fingerprints silent since ``before``."""
        return self.store.execute("DELETE FROM fingerprint_state WHERE last_seen < ?", (before,))

    def load_blob(self, name: str) -> bytes | None:
        rows = self.store.query("SELECT value FROM blobs WHERE name = ?", (name,))
        return bytes(rows[0]["value"]) if rows else None

    def save_blob(self, name: str, value: bytes) -> None:
        self.store.execute(
            "INSERT INTO blobs (name, value, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT (name) DO UPDATE SET value = excluded.value, "
            "updated_at = excluded.updated_at",
            (name, value, time.time()),
        )

    def close(self) -> None:
        self.store.close()
