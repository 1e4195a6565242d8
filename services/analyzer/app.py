"""The analyzer service: ``errors.raw`` in, one ``ClassifiedError`` per error out.

Per message: intake (decode, lift bare alerts, re-key by fingerprint), then, for a message keyed by
its fingerprint, analysis -> publish to ``errors.classified`` (awaiting the broker's ack) -> store
the fingerprint's state together with the consumed offset -> commit. A redelivery after a crash
either recomputes the same output (same event id) or, if the state was already stored, is skipped.
"""

from __future__ import annotations

import time

import structlog

from services.analyzer.core import Analyzer
from services.analyzer.intake import Accept, Rekey, intake
from services.analyzer.metrics import EVENTS, TEMPLATES
from services.analyzer.patterns_file import PATTERNS_FILE, load_patterns
from services.analyzer.reload import PatternsWatcher
from services.analyzer.store import AnalyzerStore
from services.analyzer.templates import TemplateMiner
from shared.config import Settings, config_dir_from_env
from shared.events import ClassifiedError, RawError
from shared.logging import bound_context
from shared.runner import Consumed, Service, each
from shared.store import store_url_for
from shared.topics import ERRORS_CLASSIFIED, ERRORS_RAW

log = structlog.get_logger(__name__)

NAME = "analyzer"
PRODUCER = "/alertorch/analyzer"
TEMPLATES_BLOB = "drain"
HOUSEKEEPING_SECONDS = 600.0


def create(settings: Settings) -> Service:
    service = Service(name=NAME, settings=settings)
    section = settings.analyzer
    patterns_path = config_dir_from_env() / PATTERNS_FILE
    store = AnalyzerStore(store_url_for(settings, NAME, section.store_url))
    miner = TemplateMiner(
        similarity=section.drain_similarity,
        depth=section.drain_depth,
        max_clusters=section.drain_max_clusters,
        state=store.load_blob(TEMPLATES_BLOB),
    )
    analyzer = Analyzer(
        settings=settings,
        patterns=load_patterns(patterns_path),
        miner=miner,
        load_state=store.load_state,
    )
    watcher = PatternsWatcher(patterns_path, analyzer.set_patterns)
    producer = service.producer

    async def classify(message: Consumed, event: RawError) -> None:
        if store.processed(message.topic, message.partition, message.offset):
            log.info("already processed; skipping redelivery")
            return
        now = min(event.time.timestamp(), time.time())
        outcome = analyzer.analyze(event.data, now=now)
        classified = ClassifiedError(
            **ClassifiedError.derive_fields(event, source=PRODUCER, step="classify"),
            data=outcome.classified,
        )
        await producer.publish(ERRORS_CLASSIFIED, classified, key=event.data.fingerprint)
        store.save(
            event.data.fingerprint,
            outcome.state,
            topic=message.topic,
            partition=message.partition,
            offset=message.offset,
        )
        EVENTS.labels(outcome.classified.category, outcome.classified.trend).inc()
        log.info(
            "classified",
            category=outcome.classified.category,
            trend=outcome.classified.trend,
            impact=outcome.classified.impact_score,
        )

    async def on_raw(message: Consumed) -> None:
        decision = intake(message)
        event = decision.event
        with bound_context(
            event_id=event.id,
            correlation_id=event.correlationid,
            fingerprint=event.data.fingerprint,
        ):
            if isinstance(decision, Rekey):
                await producer.publish(ERRORS_RAW, event, key=event.data.fingerprint)
                log.info("re-keyed by fingerprint", previous_key=message.key_text)
                return
            assert isinstance(decision, Accept)
            await classify(message, event)

    def snapshot_templates() -> None:
        if miner.dirty:
            store.save_blob(TEMPLATES_BLOB, miner.snapshot())
        TEMPLATES.set(miner.cluster_count)

    async def watch_patterns() -> None:
        watcher.check()

    async def keep_templates() -> None:
        snapshot_templates()

    async def housekeeping() -> None:
        now = time.time()
        analyzer.expire(now)
        pruned = store.prune(now - analyzer.ttl_seconds)
        log.info("expired fingerprint state", pruned=pruned)

    def close() -> None:
        snapshot_templates()
        store.close()

    service.consume(ERRORS_RAW, each(on_raw))
    service.add_periodic("watch-patterns", section.patterns_reload_seconds, watch_patterns)
    service.add_periodic("snapshot-templates", section.template_snapshot_seconds, keep_templates)
    service.add_periodic("housekeeping", HOUSEKEEPING_SECONDS, housekeeping)
    service.on_stop(close)
    return service
