"""GitHub issues: one issue per problem (fingerprint) and repository, remembered in the database.

The first notification for a fingerprint opens an issue in the target's repository
(``Target.channel``, else ``integrations.github.repository``) with ``issue_labels``. Its number
is stored (SQLite or PostgreSQL, :mod:`services.notifier.delivery.github_tables`), so a later
notification, even after a restart, does not open another: it comments on the issue
(``comment_on_repeat``, the default) or does nothing.

Answers: 201 → delivered (reference: the issue's or comment's ``html_url``); 401, 404, 410
(issues disabled), 422 (validation failed) and other refusals → failed; 403 or 429 with a rate
limit → later, until ``x-ratelimit-reset`` (or ``retry-after``); 5xx and network → later.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
from sqlalchemy import select

from services.notifier.delivery.base import DeliveryResult
from services.notifier.delivery.github_answers import SERVER_ERROR_RETRY_SECONDS, problem
from services.notifier.delivery.github_issue import comment_body, issue_body, issue_title
from services.notifier.delivery.github_tables import issues
from services.notifier.delivery.issue_target import IssueTarget, labels_of
from shared.config.integrations import GithubIntegration
from shared.events import NotificationData, Target
from shared.http_answer import json_body
from shared.storage import upsert

REPOSITORY = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
API_VERSION = "2022-11-28"


class GitHubIssues(IssueTarget[GithubIntegration]):
    """The ``github`` target. ``database`` holds the GitHub schema, migrated
    (:data:`services.notifier.delivery.github_tables.SCHEMA`)."""

    async def issue_number(self, repository: str, fingerprint: str) -> int | None:
        """The issue opened for the problem in ``repository``, if any."""
        async with self._database.transaction() as db:
            number = await db.scalar(
                select(issues.c.number).where(
                    issues.c.repository == repository, issues.c.fingerprint == fingerprint
                )
            )
        return int(number) if number is not None else None

    async def send_notification(
        self, notification: NotificationData, target: Target
    ) -> DeliveryResult:
        if not self._config.enabled:
            return DeliveryResult.ok(
                None, skipped="GitHub is disabled (integrations.github.enabled)"
            )
        if not self._token:
            return DeliveryResult.failed("GitHub needs a token: set GITHUB_TOKEN")
        repository = target.channel or self._config.repository
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
            if not self._config.comment_on_repeat:
                return DeliveryResult.ok(None, issue=number, skipped="the problem has an issue")
            return await self._comment(repository, number, notification)

    async def _open(
        self, repository: str, notification: NotificationData, labels: list[str]
    ) -> DeliveryResult:
        request = {
            "title": issue_title(notification),
            "body": issue_body(notification),
            "labels": labels or list(self._config.issue_labels),
        }
        result = await self._post(f"/repos/{repository}/issues", request)
        if isinstance(result, DeliveryResult):
            return result
        number = result.get("number")
        if not isinstance(number, int):
            return DeliveryResult.failed("GitHub answered 201 without an issue number")
        url = str(result.get("html_url") or "")
        async with self._database.transaction() as db:
            await upsert(
                db,
                issues,
                [
                    {
                        "repository": repository,
                        "fingerprint": notification.fingerprint,
                        "number": number,
                        "url": url,
                        "created_at": self._now(),
                    }
                ],
                key=["repository", "fingerprint"],
                ignore=True,
            )
        return DeliveryResult.ok(url or None, issue=number, repository=repository)

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
        headers = {
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": API_VERSION,
            "Authorization": f"Bearer {self._token}",
        }
        url = self._config.api_url.rstrip("/") + path
        try:
            response = await self._http.post(
                url, json=payload, headers=headers, timeout=self._config.timeout_seconds
            )
        except httpx.HTTPError as exc:
            return DeliveryResult.later(SERVER_ERROR_RETRY_SECONDS, f"GitHub: {exc!r}")
        if response.status_code != 201:
            return problem(response, self._now(), self._config.rate_limited_retry_seconds)
        return json_body(response)
