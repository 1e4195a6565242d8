"""Retries and dead letters, built once as a FastStream middleware for every subscriber.

Subscribers run with ``AckPolicy.NACK_ON_ERROR``: an exception leaves the offset uncommitted and
rewinds the partition, so the message is redelivered. This middleware decides what happens first:

- :class:`~shared.errors.InvalidMessage` (permanent): the original bytes and headers go to
  ``<topic>.dlq`` with headers naming the error, then the message is acknowledged.
- anything else (transient): redelivered after a growing backoff, up to ``max_retries`` times;
  past that bound it is dead-lettered like a permanent failure.

Dead letters are budgeted (``dlq_max_per_minute``): when a bad deploy fails every message, the
consumer stops dead-lettering, reports itself unready and keeps redelivering instead, so nothing is
shovelled into the DLQ wholesale.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import structlog
from aiokafka import ConsumerRecord
from faststream import BaseMiddleware
from faststream.exceptions import HandlerException
from faststream.message import StreamMessage

from shared.errors import InvalidMessage
from shared.metrics import DEAD_LETTERED, MESSAGES_CONSUMED
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

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._sent: list[float] = []

    def try_take(self) -> bool:
        now = self._clock()
        self._sent = [t for t in self._sent if now - t < 60.0]
        if len(self._sent) >= self.per_minute:
            return False
        self._sent.append(now)
        return True


class Attempts:
    """Failed attempts per message (topic, partition, offset); bounded, oldest forgotten first."""

    def __init__(self, limit: int = 10_000) -> None:
        self._limit = limit
        self._counts: OrderedDict[tuple[str, int, int], int] = OrderedDict()

    def fail(self, key: tuple[str, int, int]) -> int:
        count = self._counts.pop(key, 0) + 1
        self._counts[key] = count
        while len(self._counts) > self._limit:
            self._counts.popitem(last=False)
        return count

    def clear(self, key: tuple[str, int, int]) -> None:
        self._counts.pop(key, None)


@dataclass
class DeadLetterPolicy:
    """Shared state of the middleware for one service."""

    service: str
    sender: RawSender
    max_retries: int
    backoff_seconds: float
    max_backoff_seconds: float
    budget: DlqBudget
    on_halt: Callable[[bool], None] = lambda halted: None
    attempts: Attempts = field(default_factory=Attempts)
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep

    def backoff(self, attempt: int) -> float:
        return float(min(self.max_backoff_seconds, self.backoff_seconds * 2 ** (attempt - 1)))

    def middleware(self) -> Callable[..., BaseMiddleware]:
        """The factory FastStream calls per message."""
        policy = self

        def factory(msg: Any, /, *, context: Any) -> BaseMiddleware:
            return _DeadLetterMiddleware(msg, context=context, policy=policy)

        return factory

    async def dead_letter(
        self, record: ConsumerRecord[Any, Any], exc: BaseException, tries: int
    ) -> bool:
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
            *(record.headers or ()),
            (H_ERROR_CLASS, type(exc).__name__.encode()),
            (H_ERROR_REASON, reason[:4000].encode("utf-8", "replace")),
            (H_SOURCE_TOPIC, record.topic.encode()),
            (H_SOURCE_PARTITION, str(record.partition).encode()),
            (H_SOURCE_OFFSET, str(record.offset).encode()),
            (H_SERVICE, self.service.encode()),
            (H_ATTEMPTS, str(tries).encode()),
            (H_FAILED_AT, datetime.now(UTC).isoformat().encode()),
        ]
        dlq = record.topic + DLQ_SUFFIX
        await self.sender.send_raw(dlq, record.value, key=record.key, headers=headers)
        DEAD_LETTERED.labels(self.service, record.topic, type(exc).__name__).inc()
        MESSAGES_CONSUMED.labels(self.service, record.topic, "dead_lettered").inc()
        log.warning("dead-lettered", dlq=dlq, reason=reason, attempts=tries)
        return True


class _DeadLetterMiddleware(BaseMiddleware):
    def __init__(self, msg: Any, /, *, context: Any, policy: DeadLetterPolicy) -> None:
        super().__init__(msg, context=context)
        self.policy = policy

    async def consume_scope(
        self, call_next: Callable[[StreamMessage[Any]], Awaitable[Any]], msg: StreamMessage[Any]
    ) -> Any:
        record = msg.raw_message
        if not isinstance(record, ConsumerRecord):  # batch subscribers are not used
            return await call_next(msg)
        key = (record.topic, record.partition, record.offset)
        policy = self.policy
        try:
            result = await call_next(msg)
        except HandlerException:
            raise
        except InvalidMessage as exc:
            tries = policy.attempts.fail(key)
            if not await policy.dead_letter(record, exc, tries):
                await policy.sleep(policy.max_backoff_seconds)
                raise
        except Exception as exc:
            tries = policy.attempts.fail(key)
            if tries <= policy.max_retries:
                MESSAGES_CONSUMED.labels(policy.service, record.topic, "retried").inc()
                log.warning(
                    "handler failed; will redeliver",
                    error=repr(exc),
                    attempt=tries,
                    max_retries=policy.max_retries,
                )
                await policy.sleep(policy.backoff(tries))
                raise
            if not await policy.dead_letter(record, exc, tries):
                await policy.sleep(policy.max_backoff_seconds)
                raise
        else:
            policy.attempts.clear(key)
            return result
        policy.attempts.clear(key)
        return None
