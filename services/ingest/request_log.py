"""Request-IDs already published, so a webhook redelivery is acknowledged without a new event.

Durable (a unique key in the ingest store, shared by every replica) and bounded: entries expire
after a TTL and expired ones are deleted as new ones arrive.
"""

from __future__ import annotations

import time

from sqlalchemy import delete, func, select

from services.ingest.tables import request_ids
from shared.clock import ReadTime
from shared.storage import Database, upsert


class RequestLog:
    def __init__(
        self, database: Database, *, ttl_seconds: float, clock: ReadTime = time.time
    ) -> None:
        self._database = database
        self._ttl = ttl_seconds
        self._clock = clock

    async def seen(self, source: str, request_id: str) -> bool:
        cutoff = self._clock() - self._ttl
        async with self._database.transaction() as db:
            found = await db.scalar(
                select(func.count())
                .select_from(request_ids)
                .where(
                    request_ids.c.source == source,
                    request_ids.c.request_id == request_id,
                    request_ids.c.seen_at >= cutoff,
                )
            )
        return bool(found)

    async def remember(self, source: str, request_id: str) -> None:
        now = self._clock()
        async with self._database.transaction() as db:
            await db.execute(delete(request_ids).where(request_ids.c.seen_at < now - self._ttl))
            await upsert(
                db,
                request_ids,
                [{"source": source, "request_id": request_id, "seen_at": now}],
                key=["source", "request_id"],
            )

    async def size(self) -> int:
        async with self._database.transaction() as db:
            return int(await db.scalar(select(func.count()).select_from(request_ids)) or 0)
