"""Dead letters and retry pacing, one policy per service (used by :mod:`shared.runner.batch`).

Two error channels: :class:`~shared.errors.InvalidMessage` is permanent (the original bytes and
headers go to ``<topic>.dlq`` with headers naming the error); anything else is transient
(retried with a growing backoff, up to ``max_retries`` times, then dead-lettered).

Dead letters are budgeted (``dlq_max_per_minute``): when a bad deploy fails every message, the
consumer stops dead-lettering, reports itself unready and keeps redelivering instead, so nothing is
shovelled into the DLQ wholesale.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import structlog

from shared.clock import SYSTEM_CLOCK, Clock, ReadTime
from shared.errors import InvalidMessage
from shared.kafka.consumed import Consumed
from shared.metrics import DEAD_LETTERED, MESSAGES_CONSUMED
from shared.ratelimit import SlidingWindow
from shared.topics import DLQ_SUFFIX

log = structlog.get_logger(__name__)

H_ERROR_CLASS = "alertorch-error-class"
H_ERROR_REASON = "alertorch-error-reason"
H_SOURCE_TOPIC = "alertorch-source-topic"
H_SOURCE_PARTITION = "alertorch-source-partition"
H_SOURCE_OFFSET = "alertorch-source-offset"
H_SERVICE = "alertorch-service"
H_ATTEMPTS = "alertorch-attempts"
H_FAILED_AT = "alertorch-failed-at"


class RawSender(Protocol):
    async def send_raw(
        self, topic: str, value: bytes | None, *, key: bytes | None, headers: Any
    ) -> None: ...


class DlqBudget:
    """At most ``per_minute`` dead letters in any sliding minute."""

    def __init__(self, per_minute: int, clock: ReadTime = time.monotonic) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._sent = SlidingWindow(keep=60.0)

    def try_take(self) -> bool:
        return self._sent.take(self._clock(), 60.0, self.per_minute)


@dataclass
class DeadLetterPolicy:
    """One service's dead-letter policy: the DLQ writer, its budget, and retry pacing."""

    service: str
    sender: RawSender
    max_retries: int
    backoff_seconds: float
    max_backoff_seconds: float
    budget: DlqBudget
    on_halt: Callable[[bool], None] = lambda halted: None
    #: Paces the retries and stamps each dead letter's time.
    clock: Clock = SYSTEM_CLOCK

    def backoff(self, attempt: int) -> float:
        return float(min(self.max_backoff_seconds, self.backoff_seconds * 2 ** (attempt - 1)))

    async def dead_letter(self, record: Consumed, exc: BaseException, tries: int) -> bool:
        """Write ``record`` to its DLQ twin; False when the budget is spent."""
        if not self.budget.try_take():
            self.on_halt(True)
            log.error(
                "dead-letter budget spent; not dead-lettering, consumer halted",
                per_minute=self.budget.per_minute,
            )
            return False
        self.on_halt(False)
        reason = exc.reason if isinstance(exc, InvalidMessage) else f"{type(exc).__name__}: {exc}"
        headers = [
            *record.headers,
            (H_ERROR_CLASS, type(exc).__name__.encode()),
            (H_ERROR_REASON, reason[:4000].encode("utf-8", "replace")),
            (H_SOURCE_TOPIC, record.topic.encode()),
            (H_SOURCE_PARTITION, str(record.partition).encode()),
            (H_SOURCE_OFFSET, str(record.offset).encode()),
            (H_SERVICE, self.service.encode()),
            (H_ATTEMPTS, str(tries).encode()),
            (H_FAILED_AT, datetime.fromtimestamp(self.clock.time(), UTC).isoformat().encode()),
        ]
        dlq = record.topic + DLQ_SUFFIX
        await self.sender.send_raw(dlq, record.value, key=record.key, headers=headers)
        DEAD_LETTERED.labels(self.service, record.topic, type(exc).__name__).inc()
        MESSAGES_CONSUMED.labels(self.service, record.topic, "dead_lettered").inc()
        log.warning("dead-lettered", dlq=dlq, reason=reason, attempts=tries)
        return True
