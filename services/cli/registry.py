"""The services the CLI can run, with their default HTTP ports.

Each service's module is imported when it is used, not when the command line is built: a
process that runs one service loads that service's code only, and starts faster.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, cast

from services.cli.ports import DEFAULT_PORTS

if TYPE_CHECKING:
    from shared.config import Settings
    from shared.runner import Service
    from shared.storage import StoreSchema


class _ServiceModule(Protocol):
    """What every ``services/<name>/app.py`` defines."""

    def create(self, settings: Settings) -> Service: ...

    def stores(self, settings: Settings) -> dict[str, list[StoreSchema]]: ...


@dataclass(frozen=True)
class ServiceEntry:
    name: str
    default_port: int
    summary: str
    #: The module defining ``create(settings)`` and ``stores(settings)``.
    module: str

    def _module(self) -> _ServiceModule:
        return cast(_ServiceModule, importlib.import_module(self.module))

    def create(self, settings: Settings) -> Service:
        return self._module().create(settings)

    def stores(self, settings: Settings) -> dict[str, list[StoreSchema]]:
        """Each database URL the service uses and the store schemas it keeps there."""
        return self._module().stores(settings)


SERVICES: dict[str, ServiceEntry] = {
    entry.name: entry
    for entry in (
        ServiceEntry(
            "ingest",
            DEFAULT_PORTS["ingest"],
            "take errors in over HTTP, publish errors.raw",
            "services.ingest.app",
        ),
        ServiceEntry(
            "analyzer",
            DEFAULT_PORTS["analyzer"],
            "consume errors.raw, re-key, classify",
            "services.analyzer.app",
        ),
        ServiceEntry(
            "resolver",
            DEFAULT_PORTS["resolver"],
            "decide and run safe automated fixes",
            "services.resolver.app",
        ),
        ServiceEntry(
            "notifier",
            DEFAULT_PORTS["notifier"],
            "escalate and deliver notifications",
            "services.notifier.app",
        ),
        ServiceEntry(
            "api",
            DEFAULT_PORTS["api"],
            "the console: every topic in a read model, REST API, actions as commands",
            "services.api.app",
        ),
    )
}
assert set(SERVICES) == set(DEFAULT_PORTS)
