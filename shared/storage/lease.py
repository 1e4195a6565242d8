"""A lease in the database: the one replica that may run a singleton task (the Sentry poller).

Taking or renewing is one atomic upsert: the row is ours if it was free, already ours, or its
holder let it expire. The holder renews well before expiry; when it dies, another replica takes
the lease once it expires. A clean stop releases it at once.
"""

from __future__ import annotations

import time
from dataclasses import KW_ONLY, dataclass, field

from sqlalchemy import Table, delete

from shared.clock import ReadTime
from shared.storage.database import Database
from shared.storage.sql import upserted


@dataclass(eq=False)
class Lease:
    """``table`` has columns ``name`` (key), ``holder`` and ``expires_at`` (epoch seconds)."""

    database: Database
    table: Table
    _: KW_ONLY
    name: str
    holder: str
    seconds: float
    clock: ReadTime = time.time
    _until: float = field(default=0.0, init=False)

    def held(self) -> bool:
        """True while our last successful take or renewal has not expired."""
        return self.clock() < self._until

    async def acquire(self) -> bool:
        """Take the lease, or renew it if ours; False while another holder's is valid."""
        now = self.clock()
        table = self.table
        async with self.database.transaction() as db:
            taken = await upserted(
                db,
                table,
                [{"name": self.name, "holder": self.holder, "expires_at": now + self.seconds}],
                key=["name"],
                only_if=lambda new: (table.c.holder == new.holder) | (table.c.expires_at < now),
            )
        self._until = now + self.seconds if taken else 0.0
        return bool(taken)

    async def release(self) -> None:
        if self._until == 0.0:
            return
        self._until = 0.0
        async with self.database.transaction() as db:
            await db.execute(
                delete(self.table).where(
                    self.table.c.name == self.name, self.table.c.holder == self.holder
                )
            )
