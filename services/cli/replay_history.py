"""The recorded history a replay reads: topic records decoded into typed events, each once.

``errors.raw`` goes through the analyzer's own intake (bare custom alerts lifted, the re-keyed
mark set), and every raw error counts once however often it sits on the topic: a message that
reached ``errors.raw`` under another key is there twice (the original and the analyzer's
re-keyed copy, which keeps the original's event id), and a lifted bare alert's id derives from
its record's coordinates, so both copies share one id. A bare alert has no time of its own (it
gets the time it is decoded): its record's timestamp stands in.

The other topics are what really happened; redeliveries (same event id) count once. A record
that does not decode is counted and left out: the dead-letter queues are where it is seen.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Generic, TypeVar

from services.analyzer.intake import intake
from shared.errors import InvalidMessage
from shared.events import (
    ClassifiedError,
    Command,
    Envelope,
    Notification,
    RawError,
    Resolution,
    derived_event_id,
)
from shared.runner import Consumed
from shared.topics import (
    COMMANDS,
    ERRORS_CLASSIFIED,
    ERRORS_RAW,
    NOTIFICATIONS,
    RESOLUTIONS,
    topic,
)

E = TypeVar("E", bound=Envelope)

#: A record as read from the broker, with its timestamp (seconds since the epoch).
Stamped = tuple[Consumed, float]


@dataclass(frozen=True, slots=True)
class Recorded(Generic[E]):
    """One event as it was recorded, ``at`` the time of its record."""

    event: E
    at: float


@dataclass(frozen=True)
class History:
    """What a replay works from, every sequence in time order."""

    raw: tuple[Recorded[RawError], ...]
    classified: tuple[Recorded[ClassifiedError], ...]
    resolutions: tuple[Recorded[Resolution], ...]
    notifications: tuple[Recorded[Notification], ...]
    commands: tuple[Recorded[Command], ...]
    start: float
    end: float
    #: Raw records that repeat an error already read (re-keyed copies, redeliveries).
    repeats: int = 0
    #: Records of any topic that do not decode.
    undecodable: int = 0


def _when(record: Stamped) -> tuple[float, int, int]:
    message, at = record
    return at, message.partition, message.offset


def raw_errors(records: Iterable[Stamped]) -> tuple[list[Recorded[RawError]], int, int]:
    """Each raw error once, in time order; and how many records repeated one or did not decode.

    ``at`` is when the analyzer takes the error: its event time, or its record's when earlier
    (the service never dates an error after it arrived).
    """
    seen: set[str] = set()
    out: list[Recorded[RawError]] = []
    repeats = undecodable = 0
    for message, at in sorted(records, key=_when):
        try:
            event = intake(message).event
        except InvalidMessage:
            undecodable += 1
            continue
        if event.id in seen:
            repeats += 1
            continue
        seen.add(event.id)
        if event.id == derived_event_id("bare", message.coordinates):
            event = event.model_copy(update={"time": datetime.fromtimestamp(at, UTC)})
        out.append(Recorded(event, min(at, event.time.timestamp())))
    return out, repeats, undecodable


def recorded(records: Iterable[Stamped], model: type[E]) -> tuple[list[Recorded[E]], int]:
    """The events of one topic, each id once, in record order; and how many did not decode."""
    seen: set[str] = set()
    out: list[Recorded[E]] = []
    undecodable = 0
    for message, at in sorted(records, key=_when):
        try:
            event = topic(message.topic).decode(message.value)
        except InvalidMessage:
            undecodable += 1
            continue
        if isinstance(event, model) and event.id not in seen:
            seen.add(event.id)
            out.append(Recorded(event, at))
    return out, undecodable


def build_history(
    by_topic: Mapping[str, Sequence[Stamped]], *, start: float, end: float
) -> History:
    """Decode what was read from each topic (a topic not read counts as empty)."""
    raw, repeats, bad = raw_errors(by_topic.get(ERRORS_RAW, ()))
    classified, bad_c = recorded(by_topic.get(ERRORS_CLASSIFIED, ()), ClassifiedError)
    resolutions, bad_r = recorded(by_topic.get(RESOLUTIONS, ()), Resolution)
    notifications, bad_n = recorded(by_topic.get(NOTIFICATIONS, ()), Notification)
    commands, bad_k = recorded(by_topic.get(COMMANDS, ()), Command)
    return History(
        raw=tuple(raw),
        classified=tuple(classified),
        resolutions=tuple(resolutions),
        notifications=tuple(notifications),
        commands=tuple(commands),
        start=start,
        end=end,
        repeats=repeats,
        undecodable=bad + bad_c + bad_r + bad_n + bad_k,
    )
