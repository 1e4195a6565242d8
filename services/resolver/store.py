"""The resolver's own store: attempts, the state of every gate, consumed offsets.

An attempt row is written *before* its strategy runs (status ``executing``), so a crash and a
redelivery can never run the same attempt twice: the row is found and nothing is executed again.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from services.resolver.gates import Candidate, GateState
from services.resolver.limits import CircuitBreaker, RateWindow
from shared.store import Store

MIGRATIONS = [
    """
    CREATE TABLE attempts (
        attempt_id TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, strategy TEXT NOT NULL,
        status TEXT NOT NULL, created_at REAL NOT NULL, updated_at REAL NOT NULL,
        expires_at REAL, verify_until REAL, body TEXT NOT NULL);
    CREATE INDEX attempts_fingerprint ON attempts (fingerprint);
    CREATE INDEX attempts_status ON attempts (status);
    CREATE TABLE gate_state (name TEXT PRIMARY KEY, body TEXT NOT NULL);
    CREATE TABLE snoozes (fingerprint TEXT PRIMARY KEY, until REAL NOT NULL)
    """,
]

ACTIVE = ("auto_resolving", "approved", "executing", "verifying")


@dataclass
class Attempt:
    attempt_id: str
    fingerprint: str
    strategy: str
    status: str
    created_at: float
    updated_at: float
    correlation_id: str
    summary: dict[str, Any]
    context: dict[str, Any]
    safety_level: str | None = None
    expires_at: float | None = None
    verify_until: float | None = None
    rate_before: float = 0.0
    seen_during_verify: int = 0
    result: dict[str, Any] = field(default_factory=dict)
    history: list[dict[str, Any]] = field(default_factory=list)

    def body(self) -> str:
        return json.dumps(asdict(self))

    def candidate(self) -> Candidate:
        """The attempt as the gates see it."""
        return Candidate(
            self.fingerprint,
            self.strategy,
            float(self.context.get("confidence", 0.0)),
            self.context.get("environment"),
        )


class ResolverStore:
    def __init__(self, url: str) -> None:
        self.store = Store(url, migrations=MIGRATIONS)

    def attempt(self, attempt_id: str) -> Attempt | None:
        rows = self.store.query("SELECT body FROM attempts WHERE attempt_id = ?", (attempt_id,))
        return Attempt(**json.loads(rows[0]["body"])) if rows else None

    def save(self, attempt: Attempt) -> None:
        self.store.execute(
            "INSERT INTO attempts (attempt_id, fingerprint, strategy, status, created_at, "
            "updated_at, expires_at, verify_until, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (attempt_id) DO UPDATE SET status = excluded.status, "
            "updated_at = excluded.updated_at, expires_at = excluded.expires_at, "
            "verify_until = excluded.verify_until, body = excluded.body",
            (
                attempt.attempt_id,
                attempt.fingerprint,
                attempt.strategy,
                attempt.status,
                attempt.created_at,
                attempt.updated_at,
                attempt.expires_at,
                attempt.verify_until,
                attempt.body(),
            ),
        )

    def attempts_for(self, fingerprint: str | None = None, *, limit: int = 100) -> list[Attempt]:
        if fingerprint is None:
            rows = self.store.query(
                "SELECT body FROM attempts ORDER BY created_at DESC LIMIT ?", (limit,)
            )
        else:
            rows = self.store.query(
                "SELECT body FROM attempts WHERE fingerprint = ? ORDER BY created_at DESC LIMIT ?",
                (fingerprint, limit),
            )
        return [Attempt(**json.loads(row["body"])) for row in rows]

    def with_status(self, *statuses: str) -> list[Attempt]:
        marks = ",".join("?" for _ in statuses)
        rows = self.store.query(
            f"SELECT body FROM attempts WHERE status IN ({marks})",  # noqa: S608 - placeholders
            statuses,
        )
        return [Attempt(**json.loads(row["body"])) for row in rows]

    def gate_state(self, *, threshold: int, cooldown_seconds: float) -> GateState:
        state = GateState(breaker_threshold=threshold, breaker_cooldown_seconds=cooldown_seconds)
        state.running = {a.fingerprint for a in self.with_status(*ACTIVE)}
        for row in self.store.query("SELECT fingerprint, until FROM snoozes"):
            state.snoozed_until[row["fingerprint"]] = float(row["until"])
        for row in self.store.query("SELECT name, body FROM gate_state"):
            body = json.loads(row["body"])
            kind, _, key = str(row["name"]).partition(":")
            if kind == "window":
                state.windows[key] = RateWindow(times=[float(t) for t in body])
            elif kind == "breaker":
                state.breakers[key] = CircuitBreaker(**body)
        return state

    def save_gate_state(self, state: GateState) -> None:
        with self.store.transaction() as db:
            for key, window in state.windows.items():
                db.execute(
                    "INSERT OR REPLACE INTO gate_state (name, body) VALUES (?, ?)",
                    (f"window:{key}", json.dumps(window.times)),
                )
            for key, breaker in state.breakers.items():
                db.execute(
                    "INSERT OR REPLACE INTO gate_state (name, body) VALUES (?, ?)",
                    (f"breaker:{key}", json.dumps(asdict(breaker))),
                )

    def snooze(self, fingerprint: str, until: float) -> None:
        self.store.execute(
            "INSERT OR REPLACE INTO snoozes (fingerprint, until) VALUES (?, ?)",
            (fingerprint, until),
        )

    def close(self) -> None:
        self.store.close()
