"""One batch of ``errors.raw`` classified, in one transaction of the analyzer's store.

A message not keyed by its fingerprint (a bare alert) is classified with the rest when this
consumer holds its fingerprint's partition (``home``), as if it had come keyed; that
partition's stored offset is locked with the batch's own, so a replica that holds it meanwhile
(a rebalance) never writes the fingerprint's state at the same time. Otherwise it is published
again under its fingerprint: the batch's re-keyed copies are sent before anything else, and
acknowledged before the batch ends. For the rest: lock the stored offsets of the batch's
partitions, skip what is already counted (by offset, and by event id
within ``analyzer.duplicate_window_seconds``: a producer's resend of one event lands at a new
offset; the ids counted, the states of the batch's fingerprints and their incidents are read
in one trip), analyse each message in order, record
the templates the batch taught (deciding their pattern ids against every replica's records,
see :mod:`services.analyzer.pattern_ids`) and the incidents of its new problems (see
:mod:`services.analyzer.incidents`), and save the states, the new offsets and the ids counted
with their classifications together. Only once that commits are the classifications sent; once
the broker has them all the batch ends (its offsets are committed), and the next batch's
transaction (or the service's stop) drops the classifications from the store. A crash or a
refused send in between leaves them stored: the redelivered messages are skipped as counted,
and their classifications are sent then, as they were first written. Nothing is published that
is not counted: an error's place among its fingerprint's occurrences (its counts) is decided
once, even when occurrences of one fingerprint arrive on two partitions (a bare alert taken at
once, a keyed or re-keyed one), whose order a redelivery does not keep.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from services.analyzer import store as states
from services.analyzer.core import Analyzer, Outcome
from services.analyzer.frequency import FingerprintState
from services.analyzer.intake import Accept, Rekey
from services.analyzer.metrics import EVENTS
from services.analyzer.templates import Settlement
from shared.events import ClassifiedError, ClassifiedErrorData, RawError, RawErrorData
from shared.kafka.producer import Output, Publisher, published_meanwhile
from shared.runner import Consumed
from shared.storage import Database
from shared.topics import ERRORS_CLASSIFIED, ERRORS_RAW

PRODUCER = "/alertorch/analyzer"

#: Given a topic and a key: the partition of the topic the key goes to, when this consumer
#: holds it (see :meth:`shared.runner.held.Held.home`).
Home = Callable[[str, str], int | None]


def nowhere(_topic: str, _key: str) -> None:
    """No partition is held: every bare alert is re-keyed."""


@dataclass(frozen=True, slots=True)
class Counted:
    classified: int
    rekeyed: int
    already_counted: int
    #: Classifications stored by an earlier try of the batch and sent now.
    resent: int


@dataclass(frozen=True, slots=True)
class Classified:
    """Errors classified in a store's transaction: each one's data, in order, the states to
    save, and the templates' records to confirm once the transaction commits."""

    data: list[ClassifiedErrorData]
    states: dict[str, FingerprintState]
    settlement: Settlement


async def classify_all(
    db: AsyncConnection,
    analyzer: Analyzer,
    errors: Sequence[tuple[RawErrorData, float]],
    *,
    wall: float,
    stored: states.Known | None = None,
) -> Classified:
    """Classify ``errors`` (each with its time) in order against the states the store holds
    (``stored``, read here when not given: :func:`services.analyzer.store.known` of at least
    their fingerprints), deciding their templates' pattern ids, their new problems' incidents
    and their releases' first sight (inside the caller's transaction; nothing is saved)."""
    if stored is None:
        stored = await states.known(db, (data.fingerprint for data, _ in errors))
    known = dict(stored.states)
    touched: dict[str, FingerprintState] = {}
    outcomes: list[Outcome] = []
    problems: dict[str, tuple[RawErrorData, float]] = {}
    released: dict[str, float] = {}
    for error, now in errors:
        fp = error.fingerprint
        outcome = analyzer.assess(error, known.get(fp), now=now)
        known[fp] = touched[fp] = outcome.state
        outcomes.append(outcome)
        problems.setdefault(fp, (error, now))
        if release := error.release:
            released[release] = min(released.get(release, now), now)
    settlement = await states.settle_patterns(db, analyzer.miner, now=wall)
    incidents = await states.settle_incidents(
        db, problems, stored.incidents, window=analyzer.incident_window, now=wall
    )
    release_seen = await states.settle_releases(db, released)
    classified = []
    for outcome in outcomes:
        data = outcome.classified
        first = release_seen.get(data.error.release or "")
        classified.append(
            data.model_copy(
                update={
                    "pattern_id": settlement.pattern_id(outcome.cluster_id, data.pattern_id or ""),
                    "incident": incidents[data.fingerprint],
                    "release_first_seen": None
                    if first is None
                    else datetime.fromtimestamp(first, UTC),
                }
            )
        )
    return Classified(classified, touched, settlement)


async def classify_batch(
    database: Database,
    analyzer: Analyzer,
    publisher: Publisher,
    items: Sequence[tuple[Consumed, Rekey | Accept]],
    *,
    wall: float,
    home: Home = nowhere,
) -> Counted:
    rekeyed: list[Output] = []
    accepted: list[tuple[Consumed, RawError]] = []
    homes: set[tuple[str, int]] = set()
    for message, decided in items:
        if isinstance(decided, Rekey):
            fingerprint = decided.event.data.fingerprint
            partition = home(ERRORS_RAW, fingerprint)
            if partition is None:
                rekeyed.append(Output(ERRORS_RAW, decided.copy, fingerprint))
                continue
            homes.add((ERRORS_RAW, partition))
        accepted.append((message, decided.event))
    # The re-keyed copies go out first, so classifying the rest of the batch does not hold
    # them up; the batch ends (and its offsets are committed) only once both are acknowledged.
    # A refused copy fails the batch: its retry sends them all again.
    async with published_meanwhile(publisher, rekeyed):
        fresh, resent = await _classify_accepted(
            database, analyzer, publisher, accepted, homes, wall=wall
        )
    return Counted(len(fresh), len(rekeyed), len(accepted) - len(fresh), resent)


async def _classify_accepted(
    database: Database,
    analyzer: Analyzer,
    publisher: Publisher,
    accepted: Sequence[tuple[Consumed, RawError]],
    homes: set[tuple[str, int]],
    *,
    wall: float,
) -> tuple[list[tuple[Consumed, RawError]], int]:
    """Classify the events not counted before and save their states and classifications in
    one transaction (holding ``homes``, the partitions of the bare alerts' fingerprints, too),
    then send the classifications, with those an earlier try stored for the batch's events and
    did not see sent; the events that were new, and how many classifications were sent again."""
    if not accepted:
        return [], 0
    marking = analyzer.unmarked[:]
    async with database.transaction() as db:
        stored = await states.lock_offsets(
            db, {(m.topic, m.partition) for m, _ in accepted} | homes
        )
        await states.mark_sent(db, marking)
        prior = await states.known(
            db, (e.data.fingerprint for _, e in accepted), (e.id for _, e in accepted)
        )
        counted = prior.counted
        seen = set(counted)
        fresh = []
        offsets = {}
        for message, event in accepted:
            if message.offset > stored[(message.topic, message.partition)]:
                offsets[(message.topic, message.partition)] = message.offset  # in offset order
                if event.id not in seen:
                    seen.add(event.id)
                    fresh.append((message, event))
        result = await classify_all(
            db,
            analyzer,
            [(e.data, min(e.time.timestamp(), wall)) for _, e in fresh],
            wall=wall,
            stored=prior,
        )
        outputs = []
        values: dict[str, bytes] = {}  # each new event's classification, as it is sent
        for (_, event), data in zip(fresh, result.data, strict=True):
            classified = ClassifiedError(
                **ClassifiedError.derive_fields(event, source=PRODUCER, step="classify"),
                data=data,
            )
            values[event.id] = value = classified.to_json_bytes()
            outputs.append(Output(ERRORS_CLASSIFIED, classified, data.fingerprint, value))
            EVENTS.labels(data.category, data.trend).inc()
        await states.save(db, result.states, offsets, values, now=wall)
    del analyzer.unmarked[: len(marking)]
    analyzer.miner.confirm(result.settlement)
    unsent = {e.id: kept for _, e in accepted if (kept := counted.get(e.id)) is not None}
    resent = [_stored_output(kept) for kept in unsent.values()]
    if resent or outputs:
        await publisher.publish_many([*resent, *outputs])
    analyzer.unmarked.extend([*unsent, *values])
    return fresh, len(resent)


def _stored_output(value: bytes) -> Output:
    """A classification as the store kept it, to send as it was written."""
    event = ClassifiedError.model_validate_json(value)
    return Output(ERRORS_CLASSIFIED, event, event.data.fingerprint, value)
