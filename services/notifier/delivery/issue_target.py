"""What the issue targets (GitHub, Jira) share: one issue per problem (fingerprint) and place
(repository, project), remembered in the target's database, and one delivery per problem and
place at a time, so two deliveries never open two issues."""

from __future__ import annotations

import time
from contextlib import AbstractAsyncContextManager
from dataclasses import KW_ONLY, dataclass, field
from typing import Generic, TypeVar

import httpx

from services.notifier.delivery.base import DeliveryResult
from services.notifier.locks import KeyedLocks
from shared.clock import ReadTime
from shared.events import NotificationData, Target
from shared.storage import Database

LABEL_PREFIX = "label:"

Config = TypeVar("Config")


@dataclass(eq=False)
class IssueTarget(Generic[Config]):
    """The base of an issue target: ``database`` holds its issue table, migrated; subclasses
    implement :meth:`send_notification`, holding :meth:`one_at_a_time` around the look-up and
    the request."""

    config: Config
    _: KW_ONLY
    http: httpx.AsyncClient
    database: Database
    token: str | None
    wall_clock: ReadTime = time.time
    _locks: KeyedLocks = field(default_factory=KeyedLocks, init=False)

    def one_at_a_time(self, place: str, fingerprint: str) -> AbstractAsyncContextManager[None]:
        """Held while a delivery for the problem in ``place`` looks up and opens its issue."""
        return self._locks.hold((place, fingerprint))

    async def send_notification(
        self, notification: NotificationData, target: Target
    ) -> DeliveryResult:
        raise NotImplementedError

    async def handle_escalation(
        self, notification: NotificationData, target: Target
    ) -> DeliveryResult:
        return await self.send_notification(notification, target)


def labels_of(target: Target) -> list[str]:
    """Labels a rule's issue action (``github_issue``, ``jira_issue``) asked for, carried as
    ``label:<name>`` mentions (none: the integration's configured labels)."""
    return [m[len(LABEL_PREFIX) :] for m in target.mentions if m.startswith(LABEL_PREFIX)]
