"""The on-call directory: the configured schedules, the iCalendar feeds they use (fetched and
cached), and who is on call, for the notifier's ``@oncall``, the CLI and the console.

A feed is fetched when a schedule using it is asked about and its copy is older than
``refresh_seconds`` (or was never fetched). A failed fetch keeps the last good calendar in use,
logs a warning, and is tried again after ``retry_seconds`` (or the server's ``Retry-After``, if
longer). The answers themselves come from :func:`shared.oncall.resolve.who_is_on_call`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import icalendar
import structlog

from shared.clock import ReadTime
from shared.config.oncall import OnCallSection, Schedule
from shared.oncall.calendar import parse_calendar
from shared.oncall.errors import CalendarError, CalendarUnavailable
from shared.oncall.fetch import FetchCalendar, HttpCalendarFetch, where
from shared.oncall.resolve import OnCall, covering, mention_groups, on_call, who_is_on_call

log = structlog.get_logger(__name__)


class MentionLookup(Protocol):
    """What a mention such as ``oncall`` stands for, for a service at an instant."""

    async def mention_groups(self, service: str | None, at: datetime) -> dict[str, list[str]]: ...


@dataclass(frozen=True)
class Feed:
    """The last good copy of a feed (if any), when it was fetched, and the last failure."""

    calendar: icalendar.Calendar | None = None
    fetched_at: float | None = None
    error: str | None = None
    next_fetch: float = 0.0


@dataclass(frozen=True)
class Answer:
    """One schedule's answer, with the state of its feed (for the CLI and console)."""

    on_call: OnCall
    feed: Feed | None


class OnCallDirectory:
    """Who is on call, per schedule; see the module's docstring for the feeds."""

    def __init__(
        self,
        settings: OnCallSection,
        *,
        fetch: FetchCalendar | None = None,
        clock: ReadTime = time.time,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.fetch = fetch or HttpCalendarFetch(
            timeout=settings.timeout_seconds, max_bytes=settings.max_calendar_bytes, clock=clock
        )
        self._feeds: dict[str, Feed] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    def schedules(self, service: str | None = None) -> list[Schedule]:
        """Every schedule, or those answering for ``service``."""
        every = self.settings.schedules
        return list(every) if service is None else covering(every, service)

    async def answers(self, at: datetime, service: str | None = None) -> list[Answer]:
        """The answer at ``at`` (aware) of every schedule, or of those answering for
        ``service``."""
        schedules = self.schedules(service)
        feeds = await self._feeds_of(schedules)
        return [
            Answer(on_call(s, at, _calendar(feeds.get(s.name))), feeds.get(s.name))
            for s in schedules
        ]

    async def mention_groups(self, service: str | None, at: datetime) -> dict[str, list[str]]:
        """The mentions the schedules answering for ``service`` stand for at ``at``."""
        schedules = covering(self.settings.schedules, service)
        if not schedules:
            return {}
        feeds = await self._feeds_of(schedules)
        calendars = {name: cal for name, feed in feeds.items() if (cal := _calendar(feed))}
        return mention_groups(who_is_on_call(schedules, service, at, calendars))

    async def _feeds_of(self, schedules: Sequence[Schedule]) -> dict[str, Feed]:
        found = {}
        for schedule in schedules:
            if schedule.ical_url is not None:
                url = schedule.ical_url.get_secret_value()
                found[schedule.name] = await self._feed(schedule, url)
        return found

    async def _feed(self, schedule: Schedule, url: str) -> Feed:
        async with self._locks.setdefault(url, asyncio.Lock()):
            feed = self._feeds.get(url, Feed())
            now = self.clock()
            if now < feed.next_fetch:
                return feed
            try:
                calendar = parse_calendar(await self.fetch(url))
            except CalendarError as exc:
                wait = exc.retry_after if isinstance(exc, CalendarUnavailable) else None
                log.warning(
                    "on-call calendar not fetched; the last good copy stays in use",
                    schedule=schedule.name,
                    host=where(url),
                    error=str(exc),
                    last_good_at=feed.fetched_at,
                )
                feed = Feed(
                    feed.calendar,
                    feed.fetched_at,
                    str(exc),
                    now + max(self.settings.retry_seconds, wait or 0.0),
                )
            else:
                feed = Feed(calendar, now, None, now + self.settings.refresh_seconds)
                log.info("on-call calendar fetched", schedule=schedule.name, host=where(url))
            self._feeds[url] = feed
            return feed


def _calendar(feed: Feed | None) -> icalendar.Calendar | None:
    return feed.calendar if feed is not None else None
