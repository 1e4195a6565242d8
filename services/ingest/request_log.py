"""Request-IDs already published, so a webhook redelivery is acknowledged without a new event.

Durable (a unique key in the ingest store) and bounded: entries expire after a TTL and expired
ones are deleted as new ones arrive.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from shared.store import Store


class RequestLog:
    def __init__(
        self, store: Store, *, ttl_seconds: float, clock: Callable[[], float] = time.time
    ) -> None:
        self._store = store
        self._ttl = ttl_seconds
        self._clock = clock

    def seen(self, source: str, request_id: str) -> bool:
        cutoff = self._clock() - self._ttl
        rows = self._store.query(
            "SELECT 1 FROM request_ids WHERE source = ? AND request_id = ? AND seen_at >= ?",
            (source, request_id, cutoff),
        )
        return bool(rows)

    def remember(self, source: str, request_id: str) -> None:
        now = self._clock()
        with self._store.transaction() as db:
            db.execute("DELETE FROM request_ids WHERE seen_at < ?", (now - self._ttl,))
            db.execute(
                "INSERT INTO request_ids (source, request_id, seen_at) VALUES (?, ?, ?) "
                "ON CONFLICT (source, request_id) DO UPDATE SET seen_at = excluded.seen_at",
                (source, request_id, now),
            )

    def size(self) -> int:
        return int(self._store.query("SELECT COUNT(*) FROM request_ids")[0][0])
