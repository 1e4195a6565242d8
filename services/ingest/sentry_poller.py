"""Polls Sentry's organisation issues every ``operation.monitoring_interval`` seconds.

Per project: fetch issues sorted by ``lastSeen`` (newest first) page by page until one is older
than the project's mark; publish those that are new or whose count grew, oldest first, each
recorded in the store right after the broker's ack. A restart therefore resumes from the store:
nothing published is published again, nothing newer than the mark is skipped. A failed poll
(Sentry, the broker or the store) is logged and counted by the service runner, and the next
interval tries again; three failed polls in a row make the service unready until one succeeds.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import structlog
from pydantic import ValidationError

from services.ingest.errors import IngestError, PollerLeaseLost
from services.ingest.metrics import SENTRY_POLLS
from services.ingest.normalise.sentry_issue import issue_to_raw
from services.ingest.publisher import AckedPublisher
from services.ingest.sentry_api import SentryApi
from services.ingest.sentry_marks import SentryMarks
from services.ingest.sentry_selection import Seen, seen_since, to_publish
from shared.config.ingest import SentrySection
from shared.events import derived_event_id

log = structlog.get_logger(__name__)

SOURCE: Final = "sentry_api"
PRODUCER: Final = "/alertorch/ingest/sentry-poller"
MAX_PERIOD_HOURS: Final = 90 * 24


def now_utc() -> datetime:
    return datetime.now(UTC)


def issue_query(
    sentry: SentrySection, project_id: str, since: datetime, now: datetime
) -> dict[str, str]:
    """The issues query of one project since ``since``, newest first, with the configured
    filters (unresolved only unless ``include_resolved``, environments and releases left out)."""
    fetch = sentry.fetch_settings
    filters = sentry.error_filters
    terms = [] if fetch.include_resolved else ["is:unresolved"]
    terms += [f'!environment:"{env}"' for env in filters.exclude_environments]
    terms += [f'!release:"{release}"' for release in filters.exclude_releases]
    hours = math.ceil((now - since).total_seconds() / 3600) + 1
    return {
        "project": project_id,
        "query": " ".join(terms),
        "sort": "date",
        "limit": str(fetch.default_limit),
        "statsPeriod": f"{min(max(hours, 1), MAX_PERIOD_HOURS)}h",
    }


@dataclass(kw_only=True, eq=False)
class SentryPoller:
    """``leading`` says whether this replica still holds the poller's lease: checked before
    each publish, so two replicas never publish the same issue at once."""

    api: SentryApi
    marks: SentryMarks
    publisher: AckedPublisher
    sentry: SentrySection
    leading: Callable[[], bool] = lambda: True
    clock: Callable[[], datetime] = now_utc

    async def poll(self) -> None:
        """One poll, counted; a failure is raised for the runner to survive and report."""
        try:
            published = await self.poll_once()
        except Exception:
            SENTRY_POLLS.labels("failed").inc()
            raise
        SENTRY_POLLS.labels("ok").inc()
        log.info("sentry poll done", published=published)

    async def poll_once(self) -> int:
        projects = await self.api.projects()
        wanted = set(self.sentry.projects)
        if wanted:
            missing = wanted - {str(p.get("slug")) for p in projects}
            if missing:
                log.warning("configured sentry projects not found", projects=sorted(missing))
            projects = [p for p in projects if str(p.get("slug")) in wanted]
        published = 0
        for project in projects:
            published += await self._poll_project(project)
        return published

    async def _poll_project(self, project: dict[str, Any]) -> int:
        slug = str(project.get("slug") or project.get("id"))
        mark = await self.marks.mark(slug)
        lookback = timedelta(hours=self.sentry.fetch_settings.lookback_hours)
        since = mark or self.clock() - lookback
        params = issue_query(self.sentry, str(project.get("id")), since, self.clock())
        seen: list[Seen] = []
        cursor: str | None = None
        while True:
            page = await self.api.issues_page(params, cursor)
            fresh, done = seen_since(page.items, since)
            seen.extend(fresh)
            if done or page.next_cursor is None:
                break
            cursor = page.next_cursor
        counts = await self.marks.published_counts(s.issue_id for s in seen)
        chosen = to_publish(
            seen, min_level=self.sentry.error_filters.min_severity, published=counts.get
        )
        published = 0
        for item in chosen:
            if not self.leading():
                raise PollerLeaseLost("the poller's lease ran out mid-poll; another replica polls")
            try:
                event = issue_to_raw(
                    item.issue,
                    origin="sentry_api",
                    producer=PRODUCER,
                    event_id=derived_event_id(SOURCE, item.issue_id, str(item.count)),
                )
            except (IngestError, ValidationError) as exc:
                log.warning("skipping unreadable sentry issue", issue=item.issue_id, error=str(exc))
                continue
            await self.publisher.publish([event], source=SOURCE)
            await self.marks.record(slug, item.issue_id, item.count, item.last_seen)
            published += 1
        if seen:
            await self.marks.advance(slug, max(s.last_seen for s in seen))
        return published
