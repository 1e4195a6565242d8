"""The notifier service: consumes ``resolutions`` and ``notifications``; serves Slack actions.

Its HTTP surface (health, readiness, metrics) runs on the shared runner; escalation policy and
delivery are added to it.
"""

from __future__ import annotations

from shared.config import Settings
from shared.runner import Service

NAME = "notifier"


def create(settings: Settings) -> Service:
    return Service(name=NAME, settings=settings)
