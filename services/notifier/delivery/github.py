"""GitHub issues: one issue per problem (fingerprint) and repository, remembered in the database.

The first notification for a fingerprint opens an issue in the target's repository
(``Target.channel``, else ``integrations.github.repository``) with ``issue_labels``. Its number
is stored (SQLite or PostgreSQL, :mod:`services.notifier.delivery.github_tables`), so a later
notification, even after a restart, does not open another: it comments on the issue
(``comment_on_repeat``, the default) or does nothing.

Answers: 201 → delivered (reference: the issue's or comment's ``html_url``); 401, 404, 410
(issues disabled), 422 (validation failed) and other refusals → failed; 403 or 429 with a rate
limit → later, until ``x-ratelimit-reset`` (or ``retry-after``); 5xx and network → later.

A request to open an issue that got no answer, or that a stop cut short, may have opened it: its
retry first looks for the issue among the repository's issues opened in the last day (the body
names the problem's fingerprint) and records the one it finds instead of opening another. So
does a comment: each opens with a hidden line naming its notification, and its retry looks for
it among the issue's comments of the last day before commenting again.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import select

from services.notifier.delivery.base import DeliveryResult
from services.notifier.delivery.disabled import disabled
from services.notifier.delivery.github_answers import SERVER_ERROR_RETRY_SECONDS, problem
from services.notifier.delivery.github_issue import comment_body, issue_body, issue_title
from services.notifier.delivery.github_tables import issues
from services.notifier.delivery.identity import notification_key
from services.notifier.delivery.issue_target import IssueTarget, labels_of
from shared.config.integrations import GithubIntegration
from shared.events import NotificationData, Target
from shared.github_markdown import fingerprint_line, notification_line
from shared.http_answer import json_body, unanswered
from shared.storage import upsert

REPOSITORY = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
API_VERSION = "2022-11-28"
#: How far back, and through how many pages of 100, a lost answer's issue is looked for.
LOOKBACK_SECONDS = 86400.0
LOOKUP_PAGES = 10
PER_PAGE = 100


class GitHubIssues(IssueTarget[GithubIntegration]):
    """The ``github`` target. ``database`` holds the GitHub schema, migrated
    (:data:`services.notifier.delivery.github_tables.SCHEMA`)."""

    #: A send that may have arrived is looked up (:meth:`reconcile`) before it is made again.
    resend_safe = True

    async def issue_number(self, repository: str, fingerprint: str) -> int | None:
        """The issue opened for the problem in ``repository``, if any."""
        async with self.database.transaction() as db:
            number = await db.scalar(
                select(issues.c.number).where(
                    issues.c.repository == repository, issues.c.fingerprint == fingerprint
                )
            )
        return int(number) if number is not None else None

    async def send_notification(
        self, notification: NotificationData, target: Target
    ) -> DeliveryResult:
        if not self.config.enabled:
            return disabled("GitHub", "github")
        if not self.token:
            return DeliveryResult.failed("GitHub needs a token: set GITHUB_TOKEN")
        repository = target.channel or self.config.repository
        if not REPOSITORY.match(repository):
            return DeliveryResult.failed(
                f"GitHub repository {repository!r} is not owner/name: name it in the "
                "github_issue action or in integrations.github.repository"
            )
        # One delivery per problem and repository at a time, so two never open two issues.
        async with self.one_at_a_time(repository, notification.fingerprint):
            number = await self.issue_number(repository, notification.fingerprint)
            if number is None:
                return await self._open(repository, notification, labels_of(target))
            if not self.config.comment_on_repeat:
                return DeliveryResult.ok(None, issue=number, skipped="the problem has an issue")
            return await self._comment(repository, number, notification)

    async def _open(
        self, repository: str, notification: NotificationData, labels: list[str]
    ) -> DeliveryResult:
        request = {
            "title": issue_title(notification),
            "body": issue_body(notification),
            "labels": labels or list(self.config.issue_labels),
        }
        result = await self._post(f"/repos/{repository}/issues", request)
        if isinstance(result, DeliveryResult):
            return result
        number = result.get("number")
        if not isinstance(number, int):
            return DeliveryResult.failed("GitHub answered 201 without an issue number")
        return await self._remember(repository, notification.fingerprint, result)

    async def _remember(
        self, repository: str, fingerprint: str, issue: dict[str, Any]
    ) -> DeliveryResult:
        number, url = int(issue["number"]), str(issue.get("html_url") or "")
        async with self.database.transaction() as db:
            await upsert(
                db,
                issues,
                [
                    {
                        "repository": repository,
                        "fingerprint": fingerprint,
                        "number": number,
                        "url": url,
                        "created_at": self.wall_clock(),
                    }
                ],
                key=["repository", "fingerprint"],
                ignore=True,
            )
        return DeliveryResult.ok(url or None, issue=number, repository=repository)

    async def reconcile(
        self, notification: NotificationData, target: Target
    ) -> DeliveryResult | None:
        """For a send that may have arrived: the issue it opened, or the comment it made on the
        problem's issue, found (and the issue recorded); None when it is not there (so it is
        made now)."""
        repository = target.channel or self.config.repository
        if not self.token or not REPOSITORY.match(repository):
            return None  # the send fails as it would have
        number = await self.issue_number(repository, notification.fingerprint)
        if number is not None:
            if not self.config.comment_on_repeat:
                return None
            line = notification_line(notification_key(notification))
            return await self._commented(repository, number, line)
        found = await self._opened(repository, fingerprint_line(notification.fingerprint))
        if found is None or isinstance(found, DeliveryResult):
            return found
        return await self._remember(repository, notification.fingerprint, found)

    async def _opened(self, repository: str, line: str) -> dict[str, Any] | DeliveryResult | None:
        """The issue (not a pull request) opened in the last day whose body holds ``line``."""
        since = self.wall_clock() - LOOKBACK_SECONDS

        def pick(issue: dict[str, Any]) -> bool | None:
            if _created(issue) < since:
                return None  # newest first: the rest are older still
            return "pull_request" not in issue and line in str(issue.get("body") or "")

        query = {"state": "all", "sort": "created", "direction": "desc"}
        return await self._first(f"/repos/{repository}/issues", query, pick, "issues")

    async def _commented(self, repository: str, number: int, line: str) -> DeliveryResult | None:
        """The comment on issue ``number`` made in the last day that opens with ``line``, as
        delivered; None when there is none."""
        since = datetime.fromtimestamp(self.wall_clock() - LOOKBACK_SECONDS, UTC)
        found = await self._first(
            f"/repos/{repository}/issues/{number}/comments",
            {"since": since.strftime("%Y-%m-%dT%H:%M:%SZ")},
            lambda comment: str(comment.get("body") or "").startswith(line),
            "comments",
        )
        if found is None or isinstance(found, DeliveryResult):
            return found
        url = str(found.get("html_url") or "") or None
        return DeliveryResult.ok(url, issue=number, repository=repository, found=True)

    async def _first(
        self,
        path: str,
        query: dict[str, str],
        pick: Callable[[dict[str, Any]], bool | None],
        what: str,
    ) -> dict[str, Any] | DeliveryResult | None:
        """The first item of a listing (``path``, pages of :data:`PER_PAGE`, at most
        :data:`LOOKUP_PAGES`) that ``pick`` takes; None when the listing ends or ``pick``
        answers None (the rest cannot hold it)."""
        for page in range(1, LOOKUP_PAGES + 1):
            params = {**query, "per_page": str(PER_PAGE), "page": str(page)}
            answer = await self._request("GET", path, params=params)
            if isinstance(answer, DeliveryResult):
                return answer
            listed = _listed(answer)
            if listed is None:
                return DeliveryResult.later(
                    SERVER_ERROR_RETRY_SECONDS, f"GitHub listed no {what}: cannot tell yet"
                )
            for item in listed:
                taken = pick(item)
                if taken is None:
                    return None
                if taken:
                    return item
            if len(listed) < PER_PAGE:
                return None
        return None

    async def _comment(
        self, repository: str, number: int, notification: NotificationData
    ) -> DeliveryResult:
        path = f"/repos/{repository}/issues/{number}/comments"
        result = await self._post(path, {"body": comment_body(notification)})
        if isinstance(result, DeliveryResult):
            return result
        return DeliveryResult.ok(
            str(result.get("html_url") or "") or None, issue=number, repository=repository
        )

    async def _post(self, path: str, payload: dict[str, Any]) -> dict[str, Any] | DeliveryResult:
        answer = await self._request("POST", path, json=payload)
        if isinstance(answer, DeliveryResult):
            return answer
        return json_body(answer)

    async def _request(
        self, method: str, path: str, **options: Any
    ) -> httpx.Response | DeliveryResult:
        """The answer to a request (201 to a POST, 200 otherwise), or what its failure means."""
        headers = {
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": API_VERSION,
            "Authorization": f"Bearer {self.token}",
        }
        url = self.config.api_url.rstrip("/") + path
        try:
            response = await self.http.request(
                method, url, headers=headers, timeout=self.config.timeout_seconds, **options
            )
        except httpx.HTTPError as exc:
            return DeliveryResult.later(
                SERVER_ERROR_RETRY_SECONDS, f"GitHub: {exc!r}", unsure=unanswered(exc)
            )
        if response.status_code != (201 if method == "POST" else 200):
            return problem(response, self.wall_clock(), self.config.rate_limited_retry_seconds)
        return response


def _listed(answer: httpx.Response) -> list[dict[str, Any]] | None:
    """The items of a listing's page; None when the answer is no list."""
    try:
        listed = answer.json()
    except ValueError:
        return None
    if not isinstance(listed, list):
        return None
    return [item for item in listed if isinstance(item, dict)]


def _created(issue: Any) -> float:
    """When ``issue`` (a listed one) was opened, epoch seconds; 0 when it does not say."""
    try:
        return datetime.fromisoformat(str(issue.get("created_at"))).timestamp()
    except (AttributeError, ValueError):
        return 0.0
