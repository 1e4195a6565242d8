"""One batch of ``errors.raw`` classified, in one transaction of the analyzer's store.

Lock the stored offsets of the batch's partitions, skip what is already counted, load the
states of the batch's fingerprints, analyse each message in order, publish every output
(awaiting all the acks), and save the states with the new offsets. Nothing is counted before
its output is published: a publish that fails rolls the whole batch back, and its retry counts
each occurrence once. A redelivered batch recomputes the same outputs (same event ids) or skips
what is stored; a replica that lost a partition finds its offsets taken and counts nothing twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from services.analyzer import store as states
from services.analyzer.core import Analyzer
from services.analyzer.frequency import FingerprintState
from services.analyzer.intake import Accept, Rekey
from services.analyzer.metrics import EVENTS
from shared.events import ClassifiedError
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
        fresh = [(m, e) for m, e in accepted if m.offset > stored[(m.topic, m.partition)]]
        known = await states.load_states(db, {e.data.fingerprint for _, e in fresh})
        touched: dict[str, FingerprintState] = {}
        offsets: dict[states.Partition, int] = {}
        for message, event in fresh:
            fp = event.data.fingerprint
            outcome = analyzer.assess(
                event.data, known.get(fp), now=min(event.time.timestamp(), wall)
            )
            known[fp] = touched[fp] = outcome.state
            offsets[(message.topic, message.partition)] = message.offset
            outputs.append(
                Output(
                    ERRORS_CLASSIFIED,
                    ClassifiedError(
                        **ClassifiedError.derive_fields(event, source=PRODUCER, step="classify"),
                        data=outcome.classified,
                    ),
                    fp,
                )
            )
            EVENTS.labels(outcome.classified.category, outcome.classified.trend).inc()
        await publisher.publish_many(outputs)
        await states.save(db, touched, offsets)
    return Counted(len(fresh), len(items) - len(accepted), len(accepted) - len(fresh))
