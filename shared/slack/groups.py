"""Members of Slack user groups (``S…``), asked of Slack (``usergroups.users.list``) and kept
for a few minutes; a group Slack cannot list has no members (nobody is let in by mistake)."""

from __future__ import annotations

import time
from collections.abc import Iterable

import structlog

from shared.clock import ReadTime
from shared.slack.api import SlackApi

log = structlog.get_logger(__name__)

KEEP_SECONDS = 300.0


class GroupMembers:
    def __init__(self, client: SlackApi | None, *, clock: ReadTime = time.monotonic) -> None:
        self._client = client
        self._clock = clock
        self._known: dict[str, tuple[float, frozenset[str]]] = {}

    async def members(self, groups: Iterable[str]) -> dict[str, frozenset[str]]:
        return {group: await self._members(group) for group in groups}

    async def _members(self, group: str) -> frozenset[str]:
        now = self._clock()
        cached = self._known.get(group)
        if cached is not None and now - cached[0] < KEEP_SECONDS:
            return cached[1]
        if self._client is None:
            return frozenset()
        answer = await self._client.call("usergroups.users.list", {"usergroup": group})
        if not answer.ok:
            log.warning("slack user group unreadable", group=group, error=answer.error)
            return frozenset()
        users = frozenset(str(u) for u in answer.data.get("users", ()))
        self._known[group] = (now, users)
        return users
