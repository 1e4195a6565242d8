"""Intake of ``errors.raw``: decode, lift bare custom alerts, and re-key by fingerprint.

Everything about one problem is analysed by the consumer holding its fingerprint's partition,
so per-fingerprint state is exact. A message whose Kafka key is not its fingerprint (any
producer may publish to ``errors.raw``, with any key or none) is analysed at once when this
consumer holds that partition (with one analyzer, always); otherwise it is re-published once
under its fingerprint, marked ``rekeyed``, and goes no further: the copy is the one analysed
(see :mod:`services.analyzer.classify`).
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.events import RawError
from shared.runner import Consumed
from shared.topics import ERRORS_RAW, topic

PRODUCER = "/alertorch/analyzer"


@dataclass(frozen=True)
class Rekey:
    """The message is not keyed by its fingerprint. ``event`` is it as analysed (its subject
    the fingerprint); :attr:`copy` is what is re-published under the fingerprint."""

    event: RawError

    @property
    def copy(self) -> RawError:
        data = self.event.data.model_copy(update={"rekeyed": True})
        return self.event.model_copy(update={"data": data})


@dataclass(frozen=True)
class Accept:
    """The message is keyed by its fingerprint: analyse it."""

    event: RawError


def intake(message: Consumed) -> Rekey | Accept:
    """Decide what to do with one ``errors.raw`` message (raises ``InvalidMessage``)."""
    event = topic(ERRORS_RAW).decode(
        message.value, coordinates=message.coordinates, producer=PRODUCER
    )
    assert isinstance(event, RawError)
    if message.key_text == event.data.fingerprint:
        return Accept(event)
    return Rekey(event.model_copy(update={"subject": event.data.fingerprint}))
