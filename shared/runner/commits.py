"""Offsets a consumer finished, committed to its group in the background.

A batch is finished once its handler returns: its outputs acknowledged, its state written.
Committing its offsets then is only bookkeeping for a restart: a batch whose commit had not
landed when the consumer died is delivered again, and every handler already takes a redelivered
batch as it takes one that died before its commit (the same event ids, or skipped as counted).
So the next batch does not wait for the broker to answer the commit: one commit is in flight at
a time, and the finished positions that arrive meanwhile go in the next one (each partition's
latest). Before the consumer gives up partitions (a rebalance) or stops, what is finished is
committed and waited for, as before.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import structlog
from aiokafka import TopicPartition

from shared.metrics import counter

log = structlog.get_logger(__name__)

OFFSET_COMMITS = counter(
    "alertorch_offset_commits_total",
    "Commits of finished offsets to a consumer's group, by outcome: committed, or failed (the "
    "batches after the last commit that landed are delivered again after a restart or a "
    "rebalance).",
    ["service", "topic", "outcome"],
)


@dataclass
class Commits:
    """The finished positions of one consumer not yet committed, and the commit in flight.

    ``closing``: once set (the service is stopping), the runner waits at the end of each batch
    until its offsets are committed, so none is left behind when the consumer stops."""

    service: str
    topic: str
    closing: bool = False
    _pending: dict[TopicPartition, int] = field(default_factory=dict)
    _consumer: Any = None
    _sending: asyncio.Task[None] | None = None

    def finished(self, consumer: Any, positions: Mapping[TopicPartition, int]) -> None:
        """``consumer`` finished everything before ``positions`` (per partition, the offset it
        goes on from): commit them with the next commit."""
        if not positions:
            return
        self._consumer = consumer
        self._pending.update(positions)
        if self._sending is None or self._sending.done():
            self._sending = asyncio.ensure_future(self._send())

    async def settle(self) -> None:
        """Wait until every finished position is committed (or its commit failed)."""
        while self._sending is not None and not self._sending.done():
            await asyncio.shield(self._sending)

    async def _send(self) -> None:
        while self._pending:
            offsets, self._pending = self._pending, {}
            try:
                await self._consumer.commit(offsets)
            except Exception as exc:  # noqa: BLE001 - a commit that failed is reported, not fatal
                # The group moved on (a rebalance) or the consumer is gone: whoever holds the
                # partitions next starts from the last commit that landed.
                OFFSET_COMMITS.labels(self.service, self.topic, "failed").inc()
                log.warning(
                    "could not commit finished offsets; they are delivered again",
                    topic=self.topic,
                    error=repr(exc),
                    offsets={f"{tp.topic}/{tp.partition}": o for tp, o in offsets.items()},
                )
            else:
                OFFSET_COMMITS.labels(self.service, self.topic, "committed").inc()
