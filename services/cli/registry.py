"""The services the CLI can run, with their default HTTP ports."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from services.analyzer import app as analyzer
from services.ingest import app as ingest
from services.notifier import app as notifier
from services.resolver import app as resolver
from shared.config import Settings
from shared.runner import Service


@dataclass(frozen=True)
class ServiceEntry:
    name: str
    default_port: int
    create: Callable[[Settings], Service]
    summary: str


SERVICES: dict[str, ServiceEntry] = {
    entry.name: entry
    for entry in (
        ServiceEntry("ingest", 8001, ingest.create, "take errors in over HTTP, publish errors.raw"),
        ServiceEntry("analyzer", 8002, analyzer.create, "consume errors.raw, re-key, classify"),
        ServiceEntry("resolver", 8003, resolver.create, "decide and run safe automated fixes"),
        ServiceEntry("notifier", 8004, notifier.create, "escalate and deliver notifications"),
    )
}
