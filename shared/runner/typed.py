"""Consumer handlers that receive typed events instead of raw messages."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from shared.errors import InvalidMessage
from shared.events import Envelope
from shared.kafka.consumed import Consumed
from shared.runner.batch import BatchHandler, PartialBatch
from shared.topics import topic

E = TypeVar("E", bound=Envelope)


def decoder(topic_name: str, model: type[E]) -> Callable[[Consumed], E]:
    """Decode a message of ``topic_name`` with the registry into a ``model``; bad input raises
    :class:`InvalidMessage` (so it is dead-lettered)."""
    spec = topic(topic_name)

    def decode(message: Consumed) -> E:
        event = spec.decode(message.value, coordinates=message.coordinates)
        if not isinstance(event, model):
            raise InvalidMessage(
                f"expected {model.__name__} on {topic_name}, got {type(event).__name__}"
            )
        return event

    return decode


T = TypeVar("T")


def decoding(
    decode: Callable[[Consumed], T],
    handle: Callable[[Sequence[tuple[Consumed, T]]], Awaitable[None]],
) -> BatchHandler:
    """A batch handler that decodes every message first, then hands ``handle`` the decoded
    batch. A message that cannot be decoded (:class:`InvalidMessage`) ends the batch there: the
    messages before it are handled, it is dead-lettered alone, and the rest comes next."""

    async def run(batch: Sequence[Consumed]) -> None:
        items: list[tuple[Consumed, T]] = []
        for message in batch:
            try:
                items.append((message, decode(message)))
            except InvalidMessage as exc:
                if items:
                    await handle(items)
                raise PartialBatch(len(items), exc) from exc
        await handle(items)

    return run
