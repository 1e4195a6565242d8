"""The ingest service: the HTTP entry point for inbound errors; publishes to ``errors.raw``.

Its HTTP surface (health, readiness, metrics) runs on the shared runner; the inbound sources
(Sentry polling and webhooks, SDK envelopes, Alertmanager, custom alerts) are added to it.
"""

from __future__ import annotations

from shared.config import Settings
from shared.runner import Service

NAME = "ingest"


def create(settings: Settings) -> Service:
    return Service(name=NAME, settings=settings)
