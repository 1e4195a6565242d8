"""The Sentry poller on exactly one replica: a lease renewed in the store, a poll when due.

Two steps, each run every third of ``ingest.poller_lease_seconds`` on every replica:
:meth:`LeasedPoll.renew` takes or renews the lease; :meth:`LeasedPoll.poll_if_due` polls when
this replica holds it and the poll interval has passed. Renewal runs beside a long poll, so a
poll that pages through many issues keeps its lease. A new holder polls at once, resuming from
the marks in the store. When the holder dies, another replica takes over within
``poller_lease_seconds`` plus a third of it; a clean stop releases the lease at once.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import structlog

from shared.clock import ReadTime
from shared.storage.lease import Lease

log = structlog.get_logger(__name__)


@dataclass(kw_only=True)
class LeasedPoll:
    lease: Lease
    poll: Callable[[], Awaitable[None]]
    #: Seconds between two polls of the lease's holder.
    interval: float
    clock: ReadTime = time.monotonic
    _last_poll: float | None = field(default=None, init=False)

    async def renew(self) -> None:
        was_leading = self.lease.held()
        leading = await self.lease.acquire()
        if leading and not was_leading:
            log.info("took the sentry poller's lease", holder=self.lease.holder)
        elif was_leading and not leading:
            log.warning("lost the sentry poller's lease to another replica")

    async def poll_if_due(self) -> None:
        if not self.lease.held():
            self._last_poll = None
            return
        now = self.clock()
        if self._last_poll is not None and now - self._last_poll < self.interval:
            return
        self._last_poll = now
        await self.poll()
