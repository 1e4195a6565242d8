"""A consumed batch, handled with at-least-once delivery and per-message dead letters.

A handler receives the batch (a list of :class:`Consumed`, in partition order). It either
finishes all of it, or raises. Raising :class:`PartialBatch` says how many leading messages it
finished and which one failed (a handler that goes message by message, see :func:`each`); any
other exception means none of the batch is finished (a handler that writes the whole batch's
state in one transaction). Then, in order:

1. :class:`~shared.errors.InvalidMessage` on a known message: that message goes to its ``.dlq``
   alone, never retried; the rest of the batch goes on.
2. Anything else is transient: the unfinished rest is tried again after a growing backoff, up to
   ``kafka.max_retries`` times. Past that, a known culprit is dead-lettered; without one, each
   remaining message is tried on its own, so only the poison one reaches the DLQ.
3. When the dead-letter budget is spent, :func:`handle_batch` stops and reports how many leading
   messages are finished; the caller rewinds to the first unfinished one, commits the rest and
   redelivers from there.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

import structlog

from shared.errors import AlertorchError, InvalidMessage
from shared.kafka.consumed import Consumed
from shared.kafka.dlq import DeadLetterPolicy
from shared.logging import bound_context
from shared.metrics import MESSAGES_CONSUMED

log = structlog.get_logger(__name__)

Handler = Callable[[Consumed], Awaitable[None]]
BatchHandler = Callable[[Sequence[Consumed]], Awaitable[None]]


class PartialBatch(AlertorchError):
    """The first ``finished`` messages of the batch are done; the next one failed with ``cause``."""

    def __init__(self, finished: int, cause: BaseException) -> None:
        super().__init__(f"{finished} message(s) finished, then {cause!r}")
        self.finished = finished
        self.cause = cause


def each(handler: Handler) -> BatchHandler:
    """A batch handler that passes the messages one by one to ``handler``, in order."""

    async def run(batch: Sequence[Consumed]) -> None:
        for done, message in enumerate(batch):
            with bound_context(
                topic=message.topic, partition=message.partition, offset=message.offset
            ):
                try:
                    await handler(message)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    raise PartialBatch(done, exc) from exc

    return run


async def handle_batch(
    batch: Sequence[Consumed], handler: BatchHandler, policy: DeadLetterPolicy
) -> int:
    """Handle ``batch``; return how many leading messages are finished (handled or
    dead-lettered): all of them, unless the dead-letter budget ran out."""
    start, tries = 0, 0
    while start < len(batch):
        rest = batch[start:]
        try:
            await handler(rest)
            return len(batch)
        except asyncio.CancelledError:
            raise
        except PartialBatch as partial:
            done, cause, known = partial.finished, partial.cause, True
        except Exception as exc:  # noqa: BLE001 - every failure is retried or dead-lettered
            done, cause, known = 0, exc, False
        if done:
            start, tries = start + done, 0
            rest = batch[start:]
        if known and isinstance(cause, InvalidMessage):
            if not await policy.dead_letter(rest[0], cause, 1):
                return start
            start, tries = start + 1, 0
            continue
        tries += 1
        if tries <= policy.max_retries:
            MESSAGES_CONSUMED.labels(policy.service, rest[0].topic, "retried").inc(len(rest))
            log.warning(
                "handler failed; trying again",
                error=repr(cause),
                attempt=tries,
                max_retries=policy.max_retries,
                messages=len(rest),
            )
            await policy.clock.sleep(policy.backoff(tries))
            continue
        if known or len(rest) == 1:
            if not await policy.dead_letter(rest[0], cause, tries):
                return start
            start, tries = start + 1, 0
            continue
        # An atomic handler failed for good on several messages: find the poison one alone.
        for message in rest:
            if await handle_batch([message], handler, policy) == 0:
                return start
            start += 1
    return len(batch)


def rewind_to(unfinished: Sequence[Consumed]) -> dict[tuple[str, int], int]:
    """Per partition, the first offset not finished: where consumption resumes."""
    first: dict[tuple[str, int], int] = {}
    for message in unfinished:
        key = (message.topic, message.partition)
        first[key] = min(first.get(key, message.offset), message.offset)
    return first
