"""The resolver service: consumes ``errors.classified`` and ``commands``; publishes ``resolutions``.

Its HTTP surface (health, readiness, metrics) runs on the shared runner; strategies and safety
gates are added to it.
"""

from __future__ import annotations

from shared.config import Settings
from shared.runner import Service

NAME = "resolver"


def create(settings: Settings) -> Service:
    return Service(name=NAME, settings=settings)
