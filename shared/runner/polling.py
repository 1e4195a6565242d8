"""How a runner's consumer asks its client for the next batch.

FastStream's batch subscriber asks the client for up to ``kafka.batch_max_records`` messages,
waiting up to ``kafka.batch_max_wait_ms`` for the first; when none came, it then sleeps as long
again before asking once more, and a message that arrives during that sleep waits it out. The
client keeps fetching meanwhile, so the sleep only delays handing over what it fetched: on a
quiet consumer an alert lands in it about half the time, up to ``kafka.batch_max_wait_ms``
later at each hop. The runner's consumers ask again at once instead: the ask itself waits for
the first message, and returns as soon as one is there, so an idle consumer still wakes only
every ``kafka.batch_max_wait_ms``.
"""

from __future__ import annotations

from itertools import chain
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord


def ask_again_at_once(subscriber: Any) -> None:
    """Make FastStream's batch ``subscriber`` ask for its next batch without a pause after an
    empty one (its ``batch_timeout_ms`` and ``max_records`` as configured)."""
    wait_ms: int = subscriber.batch_timeout_ms
    most: int = subscriber.max_records

    async def get_msg(consumer: AIOKafkaConsumer) -> tuple[ConsumerRecord[Any, Any], ...]:
        batches = await consumer.getmany(timeout_ms=wait_ms, max_records=most)
        return tuple(chain.from_iterable(batches.values()))

    subscriber.get_msg = get_msg
