"""The resolver as a library, with the API users know:

    resolver = AutoResolver()
    await resolver.resolve_error(classified)          # a ClassifiedError (or its data)
    await resolver.rollback_resolution(attempt_id)
    resolver.get_resolution_history(fingerprint)

It runs the same engine and gates as the service; its outputs (``resolutions`` and ``audit``
events) are kept in ``resolver.events`` instead of being published.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

import httpx

from services.resolver.app import build_strategies
from services.resolver.catalog import load_catalog
from services.resolver.engine import EngineSettings, ResolverEngine
from services.resolver.store import Attempt, ResolverStore
from services.resolver.strategy import ResolutionStrategy
from shared.config import Settings, load_settings
from shared.events import Actor, ClassifiedError, ClassifiedErrorData, Envelope, new_event_id


class RecordedEvents:
    """Where the library's outputs go: a list, in order, per topic."""

    def __init__(self) -> None:
        self.published: list[tuple[str, Envelope]] = []

    async def publish(self, topic: str, event: Envelope, *, key: str) -> None:
        self.published.append((topic, event))


class AutoResolver:
    def __init__(
        self,
        settings: Settings | None = None,
        *,
        store_url: str = "sqlite:///:memory:",
        strategies: Mapping[str, ResolutionStrategy] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings or load_settings()
        self.events = RecordedEvents()
        self._http = httpx.AsyncClient(timeout=10.0)
        self._github = httpx.AsyncClient(
            base_url=self.settings.integrations.github.api_url, timeout=10.0
        )
        catalog = load_catalog(self.settings.auto_resolution.strategies)
        self._engine = ResolverEngine(
            config=EngineSettings.of(self.settings, catalog),
            store=ResolverStore(store_url),
            strategies=strategies or build_strategies(self.settings, self._http, self._github),
            publisher=self.events,
            clock=clock,
        )

    async def resolve_error(self, classified: ClassifiedError | ClassifiedErrorData) -> list[str]:
        """Decide (and, where the gates allow, run) a fix; returns the statuses it went through."""
        if isinstance(classified, ClassifiedErrorData):
            event_id = new_event_id()
            classified = ClassifiedError(
                id=event_id,
                correlationid=event_id,
                source="/library",
                subject=classified.fingerprint,
                data=classified,
            )
        before = len(self.events.published)
        await self._engine.on_classified(classified)
        return [
            event.data.status
            for _, event in self.events.published[before:]
            if getattr(event.data, "status", None)
        ]

    async def check_timers(self) -> None:
        """Settle verifications and approval expiries that are due (the service does this every
        ``auto_resolution.tick_seconds``)."""
        await self._engine.tick()

    async def rollback_resolution(self, attempt_id: str, *, actor: str = "library") -> bool:
        attempt = self._engine.store.attempt(attempt_id)
        entry = self._engine.config.catalog.get(attempt.strategy) if attempt else None
        if attempt is None or entry is None:
            return False
        await self._engine.roll_back(attempt, entry, actor=Actor(kind="user", id=actor, via="api"))
        updated = self._engine.store.attempt(attempt_id)
        return updated is not None and updated.status == "rolled_back"

    def get_resolution_history(self, fingerprint: str | None = None) -> list[Attempt]:
        """Attempts, newest first, for one problem or all."""
        return self._engine.store.attempts_for(fingerprint)

    async def close(self) -> None:
        await self._http.aclose()
        await self._github.aclose()
        self._engine.store.close()
