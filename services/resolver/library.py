"""The resolver as a library, with the API users know:

    resolver = AutoResolver()
    await resolver.resolve_error(classified)          # a ClassifiedError (or its data)
    await resolver.rollback_resolution(attempt_id)
    resolver.get_resolution_history(fingerprint)

It runs the same engine, gates and steps as the service, on its own database (in memory unless
``store_url`` names one); fixes run inline, before ``resolve_error`` returns. Its outputs
(``resolutions`` and ``audit`` events) are kept in ``resolver.events`` instead of being
published.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import httpx

from services.resolver import decisions, timers
from services.resolver.app import build_strategies
from services.resolver.catalog import load_catalog
from services.resolver.commands import apply_commands
from services.resolver.engine import EngineSettings, ResolverEngine
from services.resolver.execution import Executor
from services.resolver.store import Attempt
from services.resolver.strategy import ResolutionStrategy
from services.resolver.tables import SCHEMA
from shared.clock import SYSTEM_CLOCK, Clock
from shared.config import Settings, load_settings
from shared.events import (
    Actor,
    ClassifiedError,
    ClassifiedErrorData,
    Command,
    CommandData,
    Envelope,
    EnvelopeFields,
    new_event_id,
)
from shared.kafka.producer import Output
from shared.storage import Database


def _chain_start(fingerprint: str) -> EnvelopeFields:
    """The envelope fields of an event about ``fingerprint`` that starts a chain: its id is its
    correlation id."""
    event_id = new_event_id()
    return {"id": event_id, "correlationid": event_id, "source": "/library", "subject": fingerprint}


class RecordedEvents:
    """Where the library's outputs go: a list, in order, per topic."""

    def __init__(self) -> None:
        self.published: list[tuple[str, Envelope]] = []

    async def publish_many(self, outputs: Sequence[Output]) -> None:
        self.published.extend((out.topic, out.event) for out in outputs)


class AutoResolver:
    def __init__(
        self,
        settings: Settings | None = None,
        *,
        store_url: str = "sqlite:///:memory:",
        strategies: Mapping[str, ResolutionStrategy] | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.settings = settings or load_settings()
        self.events = RecordedEvents()
        self._http = httpx.AsyncClient(timeout=10.0)
        self._github = httpx.AsyncClient(
            base_url=self.settings.integrations.github.api_url, timeout=10.0
        )
        self._attempts: dict[str, Attempt] = {}
        self._database = Database(store_url, schemas=[SCHEMA])
        self._migrated = False
        catalog = load_catalog(self.settings.auto_resolution.strategies)
        self._engine = ResolverEngine(
            config=EngineSettings.of(self.settings, catalog),
            database=self._database,
            strategies=strategies or build_strategies(self.settings, self._http, self._github),
            publisher=self.events,
            clock=clock,
            on_saved=self._keep,
        )
        self._executor = Executor(self._engine)

    def _keep(self, attempt: Attempt) -> None:
        self._attempts[attempt.attempt_id] = Attempt(**attempt.__dict__)

    async def _ready(self) -> None:
        if not self._migrated:
            await self._database.migrate()
            self._migrated = True

    async def resolve_error(self, classified: ClassifiedError | ClassifiedErrorData) -> list[str]:
        """Decide (and, where the gates allow, run) a fix; returns the statuses it went through."""
        await self._ready()
        if isinstance(classified, ClassifiedErrorData):
            classified = ClassifiedError(**_chain_start(classified.fingerprint), data=classified)
        before = len(self.events.published)
        await decisions.decide_batch(self._engine, [classified])
        await self._executor.drain()
        return [
            event.data.status
            for _, event in self.events.published[before:]
            if getattr(event.data, "status", None)
        ]

    async def check_timers(self) -> None:
        """Settle verifications and approval expiries that are due, and run the rollbacks they
        call for (the service does this every ``auto_resolution.tick_seconds``)."""
        await self._ready()
        await timers.tick(self._engine)
        await self._executor.drain()

    async def rollback_resolution(self, attempt_id: str, *, actor: str = "library") -> bool:
        """Roll a fix back, in ``actor``'s name (the library's caller is trusted: no operator
        check); True when it was rolled back."""
        await self._ready()
        attempt = self._attempts.get(attempt_id)
        if attempt is None:
            return False
        command = Command(
            **_chain_start(attempt.fingerprint),
            data=CommandData(
                fingerprint=attempt.fingerprint,
                action="rollback",
                actor=Actor(kind="user", id=actor, via="api"),
                attempt_id=attempt_id,
            ),
        )
        await apply_commands(self._engine, [command])
        await self._executor.drain()
        return self._attempts[attempt_id].status == "rolled_back"

    def get_resolution_history(self, fingerprint: str | None = None) -> list[Attempt]:
        """Attempts, newest first, for one problem or all."""
        found = [a for a in self._attempts.values() if fingerprint in (None, a.fingerprint)]
        return sorted(found, key=lambda a: a.created_at, reverse=True)

    async def close(self) -> None:
        await self._executor.stop()
        await self._http.aclose()
        await self._github.aclose()
        await self._database.close()
