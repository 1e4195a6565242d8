"""The analyzer service: ``errors.raw`` in, one ``ClassifiedError`` per error out, in batches.

Per batch: intake of every message (decode, lift bare alerts, re-key by fingerprint), then
:func:`services.analyzer.classify.classify_batch` in one transaction of the store; then the
runner commits.
"""

from __future__ import annotations

from collections.abc import Sequence

import structlog

from services.analyzer.classify import classify_batch
from services.analyzer.core import Analyzer
from services.analyzer.intake import Accept, Rekey, intake
from services.analyzer.metrics import TEMPLATES
from services.analyzer.patterns_file import PATTERNS_FILE, load_patterns
from services.analyzer.reload import PatternsWatcher
from services.analyzer.store import AnalyzerStore
from services.analyzer.tables import SCHEMA
from shared.config import Settings, config_dir_from_env
from shared.runner import Consumed, Service, decoding
from shared.storage import Database, StoreSchema, storage_url
from shared.topics import ERRORS_RAW

log = structlog.get_logger(__name__)

NAME = "analyzer"
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

    async def start() -> None:
        await database.migrate()
        analyzer.miner = await store.load_miner(section)

    async def on_batch(items: Sequence[tuple[Consumed, Rekey | Accept]]) -> None:
        counted = await classify_batch(
            database,
            analyzer,
            service.producer,
            items,
            wall=service.clock.time(),
            home=service.held(ERRORS_RAW).home,
        )
        log.info(
            "classified batch",
            classified=counted.classified,
            rekeyed=counted.rekeyed,
            already_counted=counted.already_counted,
            resent=counted.resent,
        )

    async def watch_patterns() -> None:
        watcher.check()

    async def keep_templates() -> None:
        await store.save_miner(analyzer.miner)
        TEMPLATES.set(analyzer.miner.cluster_count)

    async def housekeeping() -> None:
        pruned = await store.prune(clock.time() - analyzer.ttl_seconds)
        await store.forget_counted(clock.time() - section.duplicate_window_seconds)
        log.info("expired fingerprint state", pruned=pruned)

    async def close() -> None:
        await store.mark_sent(analyzer.unmarked)
        await keep_templates()
        await database.close()

    service.before_start(start)
    service.consume(ERRORS_RAW, decoding(intake, on_batch))
    service.add_periodic("watch-patterns", section.patterns_reload_seconds, watch_patterns)
    service.add_periodic("snapshot-templates", section.template_snapshot_seconds, keep_templates)
    service.add_periodic("housekeeping", HOUSEKEEPING_SECONDS, housekeeping)
    service.on_stop(close)
    return service
