"""The analyzer service: ``errors.raw`` in, one ``ClassifiedError`` per error out, in batches.

Per batch: intake of every message (decode, lift bare alerts, re-key by fingerprint); then, in
one transaction of the store: lock the stored offsets of the batch's partitions, skip what is
already counted, load the states of the batch's fingerprints, analyse each message in order,
publish every output (awaiting all the acks), and save the states with the new offsets. Then
the runner commits. A redelivered batch recomputes the same outputs (same event ids) or skips
what is stored; a replica that lost a partition finds its offsets taken and counts nothing twice.
"""

from __future__ import annotations

from collections.abc import Sequence

import structlog

from services.analyzer import store as states
from services.analyzer.core import Analyzer
from services.analyzer.intake import Accept, Rekey, intake
from services.analyzer.metrics import EVENTS, TEMPLATES
from services.analyzer.patterns_file import PATTERNS_FILE, load_patterns
from services.analyzer.reload import PatternsWatcher
from services.analyzer.store import AnalyzerStore
from services.analyzer.tables import SCHEMA
from services.analyzer.templates import TemplateMiner
from shared.config import Settings, config_dir_from_env
from shared.events import ClassifiedError
from shared.kafka.producer import Output
from shared.runner import Consumed, Service, decoding
from shared.storage import Database, StoreSchema, storage_url
from shared.topics import ERRORS_CLASSIFIED, ERRORS_RAW

log = structlog.get_logger(__name__)

NAME = "analyzer"
PRODUCER = "/alertorch/analyzer"
TEMPLATES_BLOB = "drain"
HOUSEKEEPING_SECONDS = 600.0


def stores(settings: Settings) -> dict[str, list[StoreSchema]]:
    """The service's database URL and the schemas it keeps there."""
    return {storage_url(settings, NAME, settings.analyzer.store_url): [SCHEMA]}


def create(settings: Settings) -> Service:
    service = Service(name=NAME, settings=settings)
    clock = service.clock
    section = settings.analyzer
    patterns_path = config_dir_from_env() / PATTERNS_FILE
    [(url, schemas)] = stores(settings).items()
    database = Database(url, schemas=schemas)
    store = AnalyzerStore(database)
    analyzer = Analyzer(settings=settings, patterns=load_patterns(patterns_path))
    watcher = PatternsWatcher(patterns_path, analyzer.set_patterns)
    producer = service.producer

    async def start() -> None:
        await database.migrate()
        analyzer.miner = TemplateMiner(
            similarity=section.drain_similarity,
            depth=section.drain_depth,
            max_clusters=section.drain_max_clusters,
            state=await store.load_blob(TEMPLATES_BLOB),
        )

    async def on_batch(items: Sequence[tuple[Consumed, Rekey | Accept]]) -> None:
        outputs = [
            Output(ERRORS_RAW, d.event, d.event.data.fingerprint)
            for _, d in items
            if isinstance(d, Rekey)
        ]
        accepted = [(m, d.event) for m, d in items if isinstance(d, Accept)]
        if not accepted:
            await producer.publish_many(outputs)
            return
        async with database.transaction() as db:
            stored = await states.lock_offsets(db, {(m.topic, m.partition) for m, _ in accepted})
            fresh = [(m, e) for m, e in accepted if m.offset > stored[(m.topic, m.partition)]]
            known = await states.load_states(db, {e.data.fingerprint for _, e in fresh})
            touched, offsets, wall = {}, {}, clock.time()
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
                            **ClassifiedError.derive_fields(
                                event, source=PRODUCER, step="classify"
                            ),
                            data=outcome.classified,
                        ),
                        fp,
                    )
                )
                EVENTS.labels(outcome.classified.category, outcome.classified.trend).inc()
            await producer.publish_many(outputs)
            await states.save(db, touched, offsets)
        skipped = len(accepted) - len(fresh)
        log.info(
            "classified batch",
            classified=len(fresh),
            rekeyed=len(items) - len(accepted),
            already_counted=skipped,
        )

    async def watch_patterns() -> None:
        watcher.check()

    async def keep_templates() -> None:
        if analyzer.miner.dirty:
            await store.save_blob(TEMPLATES_BLOB, analyzer.miner.snapshot())
        TEMPLATES.set(analyzer.miner.cluster_count)

    async def housekeeping() -> None:
        pruned = await store.prune(clock.time() - analyzer.ttl_seconds)
        log.info("expired fingerprint state", pruned=pruned)

    async def close() -> None:
        await keep_templates()
        await database.close()

    service.before_start(start)
    service.consume(ERRORS_RAW, decoding(intake, on_batch))
    service.add_periodic("watch-patterns", section.patterns_reload_seconds, watch_patterns)
    service.add_periodic("snapshot-templates", section.template_snapshot_seconds, keep_templates)
    service.add_periodic("housekeeping", HOUSEKEEPING_SECONDS, housekeeping)
    service.on_stop(close)
    return service
