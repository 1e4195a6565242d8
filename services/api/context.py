"""What the HTTP routes work with, passed in: the read model's database, the publisher of
commands, the clock, the service's health and the broker's consumer groups."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from aiokafka.errors import KafkaError

from services.api.errors import ApiError
from services.api.slack_rights import SlackRights
from shared.clock import Clock
from shared.config.slack import SlackSection
from shared.kafka.lag import GroupLag
from shared.kafka.producer import Output, Publisher
from shared.oncall import OnCallDirectory, OnCallSection
from shared.runner.health import HealthState
from shared.storage import Database


@dataclass(frozen=True, kw_only=True)
class Context:
    database: Database
    publisher: Publisher
    clock: Clock
    health: HealthState
    #: Longest wait for the broker to acknowledge a command before answering 503.
    publish_timeout: float = 5.0
    #: The topics read into the read model.
    topics: tuple[str, ...] = ()
    #: Reads every consumer group of ours from the broker (None: not shown).
    read_groups: Callable[[], Awaitable[list[GroupLag]]] | None = None
    #: The group prefix (a group's service is the next word of its name).
    group_prefix: str = ""
    #: Groups are read from the broker at most once per this many seconds.
    groups_ttl: float = 5.0
    #: Slack's rights for people whose token names their Slack user (none: roles alone).
    slack_rights: SlackRights = field(default_factory=lambda: SlackRights(SlackSection(), None))
    #: Who is on call (the configured on-call schedules; none: an empty directory).
    oncall: OnCallDirectory = field(default_factory=lambda: OnCallDirectory(OnCallSection()))
    _groups: dict[str, Any] = field(default_factory=dict)

    async def consumer_groups(self) -> tuple[list[dict[str, Any]], str | None]:
        """Each group with its service, state, members and lag (cached for ``groups_ttl``);
        and why they could not be read, when the broker did not answer."""
        if self.read_groups is None:
            return [], None
        now = self.clock.time()
        if now - self._groups.get("at", float("-inf")) >= self.groups_ttl:
            try:
                groups = await asyncio.wait_for(self.read_groups(), self.publish_timeout)
                self._groups.update(at=now, groups=groups, error=None)
            except (TimeoutError, KafkaError, OSError) as exc:
                self._groups.update(at=now, groups=[], error=f"broker: {type(exc).__name__}")
        rows = [
            {
                **asdict(group),
                "service": group.group.removeprefix(f"{self.group_prefix}-").split("-")[0],
                "total_lag": group.total,
            }
            for group in self._groups["groups"]
        ]
        return rows, self._groups["error"]

    async def publish(self, outputs: Sequence[Output]) -> None:
        """Publish and wait for the broker; 503 (``broker_unavailable``) when it does not
        acknowledge in time."""
        try:
            await asyncio.wait_for(self.publisher.publish_many(outputs), self.publish_timeout)
        except (TimeoutError, KafkaError, OSError, RuntimeError) as exc:
            raise ApiError(
                503, "broker_unavailable", f"not published, try again: {type(exc).__name__}"
            ) from None
