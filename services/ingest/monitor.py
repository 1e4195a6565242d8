"""``SentryMonitor``: Sentry's API from Python, on the same client the poller uses (retries with
backoff, rate-limit waits, cursor pagination).

    from services.ingest import SentryMonitor

    monitor = SentryMonitor()  # SENTRY_AUTH_TOKEN, SENTRY_ORGANIZATION, the sentry: section
    projects = monitor.get_projects()
    print(f"Connected! Found {len(projects)} projects")
    errors = monitor.fetch_errors(since=timedelta(hours=6))   # RawError events
    report = monitor.analyze_error_patterns(errors)           # groups, counts, trends

The methods block (each runs its own event loop); inside a running loop use the coroutines
``projects()``, ``errors()`` instead. ``fetch_errors`` returns the same ``RawError`` events the
poller publishes, so ``ErrorAnalyzer().analyze_error(error.data)`` classifies each one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from pydantic import ValidationError

from services.ingest.errors import IngestError
from services.ingest.normalise.sentry_issue import issue_to_raw
from services.ingest.sentry_api import SentryApi
from services.ingest.sentry_poller import issue_query
from services.ingest.sentry_selection import level_ok, seen_since
from shared.config import Settings, config_dir_from_env, load_settings, reveal
from shared.errors import ConfigError
from shared.events import RawError, derived_event_id

T = TypeVar("T")
PRODUCER = "/alertorch/ingest/monitor"


@dataclass
class PatternGroup:
    """Errors of one exception type (or title) in one project."""

    key: str
    project: str | None
    issues: int = 0
    events: int = 0
    users: int = 0
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    titles: list[str] = field(default_factory=list)
    #: Events per hour over the group's life (first to last seen), at least one hour.
    rate_per_hour: float = 0.0
    #: "new" (first seen within the last day), "ongoing" (seen within the last hour), "quiet".
    trend: str = "quiet"


@dataclass
class PatternReport:
    errors: int
    events: int
    groups: list[PatternGroup]
    by_project: dict[str, int]
    by_level: dict[str, int]


def analyze_patterns(errors: Iterable[RawError], now: datetime) -> PatternReport:
    """Group ``errors`` by exception type (or title) and project, busiest first."""
    groups: dict[tuple[str, str | None], PatternGroup] = {}
    by_project: dict[str, int] = {}
    by_level: dict[str, int] = {}
    total_errors = total_events = 0
    for error in errors:
        data = error.data
        kind = data.exception[0].type if data.exception else None
        key = kind or data.title
        group = groups.setdefault((key, data.project), PatternGroup(key=key, project=data.project))
        group.issues += 1
        group.events += data.count
        group.users += data.user_count or 0
        if data.title not in group.titles and len(group.titles) < 5:
            group.titles.append(data.title)
        first, last = data.first_seen, data.last_seen
        if first and (group.first_seen is None or first < group.first_seen):
            group.first_seen = first
        if last and (group.last_seen is None or last > group.last_seen):
            group.last_seen = last
        total_errors += 1
        total_events += data.count
        project = data.project or "(none)"
        by_project[project] = by_project.get(project, 0) + data.count
        level = data.level or "unknown"
        by_level[level] = by_level.get(level, 0) + data.count
    for group in groups.values():
        first = group.first_seen or now
        span = max((group.last_seen or now) - first, timedelta(hours=1))
        group.rate_per_hour = group.events / (span.total_seconds() / 3600)
        if now - first <= timedelta(days=1):
            group.trend = "new"
        elif group.last_seen and now - group.last_seen <= timedelta(hours=1):
            group.trend = "ongoing"
    ordered = sorted(groups.values(), key=lambda g: (-g.events, g.key, g.project or ""))
    return PatternReport(total_errors, total_events, ordered, by_project, by_level)


class SentryMonitor:
    def __init__(
        self,
        settings: Settings | None = None,
        *,
        token: str | None = None,
        organization: str | None = None,
    ) -> None:
        self.settings = settings or load_settings(config_dir_from_env())
        self._token = token or reveal(self.settings.sentry_auth_token)
        self._organization = organization or self.settings.sentry_organization
        if not self._token or not self._organization:
            raise ConfigError(
                [
                    "SentryMonitor needs SENTRY_AUTH_TOKEN and SENTRY_ORGANIZATION (or token= and "
                    "organization=)"
                ]
            )

    def _api(self, http: Any) -> SentryApi:
        sentry = self.settings.sentry
        return SentryApi(
            http=http,
            organization=str(self._organization),
            max_attempts=sentry.max_attempts,
            backoff_seconds=sentry.backoff_seconds,
            max_backoff_seconds=sentry.max_backoff_seconds,
        )

    def _client(self) -> Any:
        sentry = self.settings.sentry
        return SentryApi.client(
            base_url=sentry.base_url, token=str(self._token), timeout=sentry.request_timeout_seconds
        )

    # -- coroutines ----------------------------------------------------------------------------

    async def projects(self) -> list[dict[str, Any]]:
        """The organisation's projects (``sentry.projects``, when set, keeps only those)."""
        async with self._client() as http:
            found = await self._api(http).projects()
        wanted = set(self.settings.sentry.projects)
        return [p for p in found if not wanted or str(p.get("slug")) in wanted]

    async def errors(
        self, *, since: datetime | timedelta | None = None, projects: Sequence[str] = ()
    ) -> list[RawError]:
        """Issues seen since ``since`` (default: ``fetch_settings.lookback_hours`` ago), with
        the configured filters and minimum level, as ``RawError`` events, newest first."""
        sentry = self.settings.sentry
        now = datetime.now(UTC)
        start = (
            since
            if isinstance(since, datetime)
            else now - (since or timedelta(hours=sentry.fetch_settings.lookback_hours))
        )
        out: list[RawError] = []
        async with self._client() as http:
            api = self._api(http)
            chosen = await api.projects()
            wanted = set(projects) or set(sentry.projects)
            for project in chosen:
                if wanted and str(project.get("slug")) not in wanted:
                    continue
                params = issue_query(sentry, str(project.get("id")), start, now)
                cursor: str | None = None
                while True:
                    page = await api.issues_page(params, cursor)
                    fresh, done = seen_since(page.items, start)
                    for item in fresh:
                        raw = self._raw(item.issue)
                        if raw and level_ok(item.issue, sentry.error_filters.min_severity):
                            out.append(raw)
                    if done or page.next_cursor is None:
                        break
                    cursor = page.next_cursor
        return out

    @staticmethod
    def _raw(issue: Mapping[str, Any]) -> RawError | None:
        try:
            return issue_to_raw(
                issue,
                origin="sentry_api",
                producer=PRODUCER,
                event_id=derived_event_id(PRODUCER, str(issue.get("id")), str(issue.get("count"))),
            )
        except (IngestError, ValidationError):
            return None

    # -- the blocking API ------------------------------------------------------------------------

    def get_projects(self) -> list[dict[str, Any]]:
        return _blocking(self.projects())

    def fetch_errors(
        self, *, since: datetime | timedelta | None = None, projects: Sequence[str] = ()
    ) -> list[RawError]:
        return _blocking(self.errors(since=since, projects=projects))

    def analyze_error_patterns(self, errors: Iterable[RawError] | None = None) -> PatternReport:
        """Group ``errors`` (default: :meth:`fetch_errors`) by exception type and project, with
        counts, users, rates and whether each is new, ongoing or quiet."""
        found = list(errors) if errors is not None else self.fetch_errors()
        return analyze_patterns(found, datetime.now(UTC))


def _blocking(work: Awaitable[T]) -> T:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(work)  # type: ignore[arg-type]
    if asyncio.iscoroutine(work):
        work.close()
    raise RuntimeError(
        "SentryMonitor's get_/fetch_ methods block; inside a running event loop await "
        "projects() or errors() instead"
    )
