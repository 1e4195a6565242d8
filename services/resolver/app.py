"""The resolver service: ``errors.classified``, ``commands`` and ``silences`` in; ``resolutions``
and ``audit`` out. See docs/resolver.md.

Classified errors are decided a batch at a time; fixes run on workers off the consumer; time
(approval expiry, verification, lapsed claims) is a background loop. All state is in the
storage layer, shared by the replicas: the gates are global.
"""

from __future__ import annotations

from collections.abc import Sequence

import httpx
import structlog

from services.resolver import decisions, store, tables, timers
from services.resolver.catalog import CatalogError, load_catalog
from services.resolver.commands import handle_commands
from services.resolver.engine import EngineSettings, ResolverEngine
from services.resolver.execution import Executor
from services.resolver.executors.deployments import RestartService, RollbackDeployment, ScaleUp
from services.resolver.executors.jira import CreateJiraIssue
from services.resolver.executors.kube import KubeClient, load_kube_config
from services.resolver.executors.web import CreateGithubIssue, HttpAction
from services.resolver.registry import custom_strategies
from services.resolver.strategy import ResolutionStrategy
from services.resolver.tables import SCHEMA
from shared.config import Settings, reveal
from shared.errors import ConfigError
from shared.events import ClassifiedError, Command
from shared.runner import Consumed, Service, decoder, decoding
from shared.storage import Database, StoreSchema, storage_url
from shared.topics import ERRORS_CLASSIFIED

log = structlog.get_logger(__name__)

NAME = "resolver"
HTTP_TIMEOUT = 10.0
HOUSEKEEPING_SECONDS = 3600.0
#: How long a classified event's id is kept to recognise its redelivery.
DECIDED_KEPT_SECONDS = 7 * 86400.0


def stores(settings: Settings) -> dict[str, list[StoreSchema]]:
    """The service's database URL and the schemas it keeps there."""
    return {storage_url(settings, NAME, settings.auto_resolution.store_url): [SCHEMA]}


def build_strategies(
    settings: Settings, http: httpx.AsyncClient, github: httpx.AsyncClient
) -> dict[str, ResolutionStrategy]:
    """Built-in strategies, then custom ones (registered or from entry points) by other names."""

    def kube() -> KubeClient:
        return KubeClient(
            load_kube_config(settings.auto_resolution.kubeconfig), timeout=HTTP_TIMEOUT
        )

    token = reveal(settings.github_token)
    built: dict[str, ResolutionStrategy] = {
        strategy.name: strategy
        for strategy in (
            RestartService(kube),
            ScaleUp(kube),
            RollbackDeployment(kube),
            HttpAction(http),
            CreateGithubIssue(
                github, token=token, labels=settings.integrations.github.issue_labels
            ),
            CreateJiraIssue(
                http,
                config=settings.integrations.jira,
                site_url=settings.jira_url,
                token=reveal(settings.jira_token),
            ),
        )
    }
    for name, strategy in custom_strategies().items():
        built.setdefault(name, strategy)
    return built


def create(settings: Settings) -> Service:
    try:
        catalog = load_catalog(settings.auto_resolution.strategies)
    except CatalogError as exc:
        raise ConfigError(exc.problems) from None
    service = Service(name=NAME, settings=settings)
    [(url, schemas)] = stores(settings).items()
    database = Database(url, schemas=schemas)
    http = httpx.AsyncClient(timeout=HTTP_TIMEOUT)
    github = httpx.AsyncClient(base_url=settings.integrations.github.api_url, timeout=HTTP_TIMEOUT)
    engine = ResolverEngine(
        config=EngineSettings.of(settings, catalog),
        database=database,
        strategies=build_strategies(settings, http, github),
        publisher=service.producer,
    )
    executor = Executor(engine)

    async def on_classified(items: Sequence[tuple[Consumed, ClassifiedError]]) -> None:
        await decisions.decide_batch(engine, [event for _, event in items])

    async def on_commands(events: Sequence[Command]) -> None:
        await handle_commands(engine, events)

    async def ticks() -> None:
        await timers.tick(engine)

    async def housekeeping() -> None:
        async with database.transaction() as db:
            forgotten = await store.forget_decided(db, engine.now() - DECIDED_KEPT_SECONDS)
        log.info("forgot old decided events", forgotten=forgotten)

    async def close() -> None:
        await executor.stop()
        await decisions.mark_published(engine)
        await http.aclose()
        await github.aclose()
        await database.close()

    tick = settings.auto_resolution.tick_seconds
    service.before_start(database.migrate)
    classified = decoder(ERRORS_CLASSIFIED, ClassifiedError)
    service.consume(ERRORS_CLASSIFIED, decoding(classified, on_classified))
    service.consume_commands(on_commands)
    service.keep_silences(database, tables.silences)
    service.add_periodic("executor", tick, executor.step)
    service.add_periodic("timers", tick, ticks)
    service.add_periodic("housekeeping", HOUSEKEEPING_SECONDS, housekeeping)
    service.on_stop(close)
    return service
