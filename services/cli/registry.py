"""The services the CLI can run, with their default HTTP ports."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from services.analyzer import app as analyzer
from services.api import app as api
from services.cli.ports import DEFAULT_PORTS
from services.ingest import app as ingest
from services.notifier import app as notifier
from services.resolver import app as resolver
from shared.config import Settings
from shared.runner import Service
from shared.storage import StoreSchema


def _none(_settings: Settings) -> dict[str, list[StoreSchema]]:
    return {}


@dataclass(frozen=True)
class ServiceEntry:
    name: str
    default_port: int
    create: Callable[[Settings], Service]
    summary: str
    #: Each database URL the service uses and the store schemas it keeps there.
    stores: Callable[[Settings], dict[str, list[StoreSchema]]] = _none


SERVICES: dict[str, ServiceEntry] = {
    entry.name: entry
    for entry in (
        ServiceEntry(
            "ingest",
            DEFAULT_PORTS["ingest"],
            ingest.create,
            "take errors in over HTTP, publish errors.raw",
            ingest.stores,
        ),
        ServiceEntry(
            "analyzer",
            DEFAULT_PORTS["analyzer"],
            analyzer.create,
            "consume errors.raw, re-key, classify",
            analyzer.stores,
        ),
        ServiceEntry(
            "resolver",
            DEFAULT_PORTS["resolver"],
            resolver.create,
            "decide and run safe automated fixes",
            resolver.stores,
        ),
        ServiceEntry(
            "notifier",
            DEFAULT_PORTS["notifier"],
            notifier.create,
            "escalate and deliver notifications",
            notifier.stores,
        ),
        ServiceEntry(
            "api",
            DEFAULT_PORTS["api"],
            api.create,
            "the console: every topic in a read model, REST API, actions as commands",
            api.stores,
        ),
    )
}
assert set(SERVICES) == set(DEFAULT_PORTS)
