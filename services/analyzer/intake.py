"""Intake of ``errors.raw``: decode, lift bare custom alerts, and re-key by fingerprint.

Everything about one problem must sit on one partition, so per-fingerprint state is exact. A
message whose Kafka key is not its fingerprint (any producer may publish to ``errors.raw``, with
any key or none) is re-published once under its fingerprint, marked ``rekeyed``, and goes no
further; the re-published copy is the one analysed.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.events import RawError
from shared.runner import Consumed
from shared.topics import ERRORS_RAW, topic

PRODUCER = "/alertorch/analyzer"


@dataclass(frozen=True)
class Rekey:
    """The message must be re-published under ``event.data.fingerprint``."""

    event: RawError


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
    data = event.data.model_copy(update={"rekeyed": True})
    return Rekey(event.model_copy(update={"data": data, "subject": data.fingerprint}))
