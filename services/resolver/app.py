"""The resolver service: ``errors.classified`` and ``commands`` in; ``resolutions`` and ``audit``
out. See docs/resolver.md."""

from __future__ import annotations

import httpx
import structlog

from services.resolver.catalog import CatalogError, load_catalog
from services.resolver.commands import handle_command
from services.resolver.engine import EngineSettings, ResolverEngine
from services.resolver.executors.deployments import RestartService, RollbackDeployment, ScaleUp
from services.resolver.executors.kube import KubeClient, load_kube_config
from services.resolver.executors.web import CreateGithubIssue, HttpAction
from services.resolver.registry import custom_strategies
from services.resolver.store import ResolverStore
from services.resolver.strategy import ResolutionStrategy
from shared.config import Settings, reveal
from shared.errors import ConfigError
from shared.events import ClassifiedError, Command
from shared.runner import Service, each, event_handler
from shared.store import store_url_for
from shared.topics import COMMANDS, ERRORS_CLASSIFIED

log = structlog.get_logger(__name__)

NAME = "resolver"
HTTP_TIMEOUT = 10.0


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
    store = ResolverStore(store_url_for(settings, NAME, settings.auto_resolution.store_url))
    http = httpx.AsyncClient(timeout=HTTP_TIMEOUT)
    github = httpx.AsyncClient(base_url=settings.integrations.github.api_url, timeout=HTTP_TIMEOUT)
    engine = ResolverEngine(
        config=EngineSettings.of(settings, catalog),
        store=store,
        strategies=build_strategies(settings, http, github),
        publisher=service.producer,
    )

    async def on_command(event: Command) -> None:
        await handle_command(engine, event)

    recovered = False

    async def timers() -> None:
        """Recover what a stop interrupted (once), then run due approvals and verifications."""
        nonlocal recovered
        if not recovered:
            await engine.recover()
            recovered = True
        await engine.tick()

    async def close() -> None:
        await http.aclose()
        await github.aclose()
        store.close()

    classified = event_handler(ERRORS_CLASSIFIED, ClassifiedError, engine.on_classified)
    service.consume(ERRORS_CLASSIFIED, each(classified))
    service.consume(COMMANDS, each(event_handler(COMMANDS, Command, on_command)), group="commands")
    service.add_periodic("timers", settings.auto_resolution.tick_seconds, timers)
    service.on_stop(close)
    return service
