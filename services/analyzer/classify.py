"""One batch of ``errors.raw`` classified, in one transaction of the analyzer's store.

Lock the stored offsets of the batch's partitions, skip what is already counted (by offset, and
by event id within ``analyzer.duplicate_window_seconds``: a producer's resend of one event lands
at a new offset), load the
states of the batch's fingerprints, analyse each message in order, record the templates the
batch taught (deciding their pattern ids against every replica's records, see
:mod:`services.analyzer.pattern_ids`) and the incidents of its new problems (see
:mod:`services.analyzer.incidents`), publish every output (awaiting all the acks), and save
the states with the new offsets. Nothing is counted before
its output is published: a publish that fails rolls the whole batch back, and its retry counts
each occurrence once. A redelivered batch recomputes the same outputs (same event ids) or skips
what is stored; a replica that lost a partition finds its offsets taken and counts nothing twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from services.analyzer import store as states
from services.analyzer.core import Analyzer, Outcome
from services.analyzer.frequency import FingerprintState
from services.analyzer.intake import Accept, Rekey
from services.analyzer.metrics import EVENTS
from shared.events import ClassifiedError, RawError, RawErrorData
from shared.kafka.producer import Output, Publisher
from shared.runner import Consumed
from shared.storage import Database
from shared.topics import ERRORS_CLASSIFIED, ERRORS_RAW

PRODUCER = "/alertorch/analyzer"


@dataclass(frozen=True, slots=True)
class Counted:
    classified: int
    rekeyed: int
    already_counted: int


async def classify_batch(
    database: Database,
    analyzer: Analyzer,
    publisher: Publisher,
    items: Sequence[tuple[Consumed, Rekey | Accept]],
    *,
    wall: float,
) -> Counted:
    outputs = [
        Output(ERRORS_RAW, d.event, d.event.data.fingerprint)
        for _, d in items
        if isinstance(d, Rekey)
    ]
    accepted = [(m, d.event) for m, d in items if isinstance(d, Accept)]
    if not accepted:
        await publisher.publish_many(outputs)
        return Counted(0, len(outputs), 0)
    async with database.transaction() as db:
        stored = await states.lock_offsets(db, {(m.topic, m.partition) for m, _ in accepted})
        unseen = [(m, e) for m, e in accepted if m.offset > stored[(m.topic, m.partition)]]
        seen = await states.already_counted(db, (e.id for _, e in unseen))
        fresh = []
        for message, event in unseen:
            if event.id not in seen:
                seen.add(event.id)
                fresh.append((message, event))
        known = await states.load_states(db, {e.data.fingerprint for _, e in fresh})
        touched: dict[str, FingerprintState] = {}
        offsets: dict[states.Partition, int] = {}
        analysed: list[tuple[RawError, Outcome]] = []
        problems: dict[str, tuple[RawErrorData, float]] = {}
        released: dict[str, float] = {}
        for _, event in fresh:
            fp = event.data.fingerprint
            now = min(event.time.timestamp(), wall)
            outcome = analyzer.assess(event.data, known.get(fp), now=now)
            known[fp] = touched[fp] = outcome.state
            analysed.append((event, outcome))
            problems.setdefault(fp, (event.data, now))
            if release := event.data.release:
                released[release] = min(released.get(release, now), now)
        for message, _ in unseen:
            offsets[(message.topic, message.partition)] = message.offset
        settlement = await states.settle_patterns(db, analyzer.miner, now=wall)
        incidents = await states.settle_incidents(
            db, problems, window=analyzer.incident_window, now=wall
        )
        release_seen = await states.settle_releases(db, released)
        for event, outcome in analysed:
            data = outcome.classified
            pattern_id = settlement.pattern_id(outcome.cluster_id, data.pattern_id or "")
            first = release_seen.get(data.error.release or "")
            data = data.model_copy(
                update={
                    "pattern_id": pattern_id,
                    "incident": incidents[data.fingerprint],
                    "release_first_seen": None
                    if first is None
                    else datetime.fromtimestamp(first, UTC),
                }
            )
            outputs.append(
                Output(
                    ERRORS_CLASSIFIED,
                    ClassifiedError(
                        **ClassifiedError.derive_fields(event, source=PRODUCER, step="classify"),
                        data=data,
                    ),
                    data.fingerprint,
                )
            )
            EVENTS.labels(data.category, data.trend).inc()
        await publisher.publish_many(outputs)
        await states.save(db, touched, offsets, (e.id for _, e in fresh), now=wall)
    analyzer.miner.confirm(settlement)
    return Counted(len(fresh), len(items) - len(accepted), len(accepted) - len(fresh))
