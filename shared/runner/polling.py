"""How a runner's consumer asks its client for the next batch.

FastStream's batch subscriber asks the client for up to ``kafka.batch_max_records`` messages,
waiting up to ``kafka.batch_max_wait_ms`` for the first; when none came, it then sleeps as long
again before asking once more, and a message that arrives during that sleep waits it out. The
client keeps fetching meanwhile, so the sleep only delays handing over what it fetched: on a
quiet consumer an alert lands in it about half the time, up to ``kafka.batch_max_wait_ms``
later at each hop. The runner's consumers ask again at once instead: the ask itself waits for
the first message, and returns as soon as one is there, so an idle consumer still wakes only
every ``kafka.batch_max_wait_ms``.

A consumer may also gather (``gather_ms``, the notifier's ``notifier.batch_gather_ms``): after
a batch that held messages, the next is handed over ``gather_ms`` after it, holding whatever
came meanwhile, so while messages flow the batch's fixed cost (a transaction, the client's
round trips) is paid less often. It takes what its client fetched as it comes, so the client
fetches those partitions again at once and no message waits longer than ``gather_ms``. When
nothing came in that time it asks as above, and a message after a quiet spell is handed over
at once.
"""

from __future__ import annotations

import time
from itertools import chain
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord


def gathering_left(last: float | None, gather: float, now: float) -> float:
    """Seconds a batch still gathers: what is left of ``gather`` since ``last`` (when the last
    batch was handed over; ``None`` if the last ask found nothing)."""
    if last is None or gather <= 0:
        return 0.0
    return max(0.0, last + gather - now)


def ask_for_batches(subscriber: Any, *, gather_ms: int = 0) -> None:
    """Make FastStream's batch ``subscriber`` ask for its next batch without a pause after an
    empty one (its ``batch_timeout_ms`` and ``max_records`` as configured), and, with
    ``gather_ms``, hand batches over no more often than that while messages flow."""
    wait_ms: int = subscriber.batch_timeout_ms
    most: int = subscriber.max_records
    gather = gather_ms / 1000
    last: float | None = None

    async def take(consumer: AIOKafkaConsumer, wait_ms: int, room: int) -> list[Any]:
        batches = await consumer.getmany(timeout_ms=wait_ms, max_records=room)
        return list(chain.from_iterable(batches.values()))

    async def get_msg(consumer: AIOKafkaConsumer) -> tuple[ConsumerRecord[Any, Any], ...]:
        nonlocal last
        found: list[Any] = []
        while len(found) < most and (left := gathering_left(last, gather, time.monotonic())):
            found += await take(consumer, max(1, round(left * 1000)), most - len(found))
        if not found:
            found = await take(consumer, wait_ms, most)
        last = time.monotonic() if found else None
        return tuple(found)

    subscriber.get_msg = get_msg
