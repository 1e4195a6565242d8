"""Jira issues: one issue per problem (fingerprint) and project, remembered in the database.

The first notification for a fingerprint opens an issue in the target's project
(``Target.channel``, else ``integrations.jira.project_key``) of ``issue_type``, labelled with
the rule's labels (else ``labels``). Its key is stored (SQLite or PostgreSQL,
:mod:`services.notifier.delivery.jira_tables`), so a later notification, even after a restart
or a redelivery, does not open another: it comments on the issue (``comment_on_repeat``, the
default) or does nothing. A ``resolved`` notification closes the issue with the
``close_transition`` (``on_resolve: close``; a comment when the issue's workflow offers no such
transition), or comments (``comment``), once; after that a ``new_alert`` (the problem came back)
opens a new issue.

Jira Cloud is spoken to in REST v3 (ADF text, basic auth), Data Center in REST v2 (wiki text,
a personal access token): :mod:`shared.jira_api`. Answers: 201 or 204 → delivered (reference:
the issue's or comment's address); 400 (invalid fields), 401, 403, 404 and other refusals →
failed, with Jira's ``errorMessages`` and ``errors``; 429 → later, after ``Retry-After``; 5xx
and network errors → later.

A request to open an issue that got no answer, or that a stop cut short, may have opened it: its
retry first searches the project's issues opened in the last day (the description names the
problem's fingerprint) and records the one it finds instead of opening another. So does a
comment: each ends with a line naming its notification, and its retry looks for it among the
issue's newest comments before commenting again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update

from services.notifier.delivery.base import DeliveryResult
from services.notifier.delivery.disabled import disabled
from services.notifier.delivery.identity import notification_key
from services.notifier.delivery.issue_target import IssueTarget, labels_of
from services.notifier.delivery.jira_answers import SERVER_ERROR_RETRY_SECONDS, problem
from services.notifier.delivery.jira_issue import comment_body, issue_description, issue_summary
from services.notifier.delivery.jira_tables import issues
from shared.config.integrations import JIRA_PROJECT_KEY, JiraIntegration
from shared.events import NotificationData, Target
from shared.jira_api import (
    JiraRefusal,
    JiraSetupError,
    JiraSite,
    close_issue,
    issue_fields,
    jira_call,
    jira_site,
    searched,
)
from shared.storage import upsert

PROJECT_KEY = re.compile(JIRA_PROJECT_KEY)
#: How many of a project's issues of the last day a lost answer's issue is looked for among.
LOOKUP_ISSUES = 1000
#: Among how many of an issue's newest comments, listed how many a page, a comment whose answer
#: was lost is looked for.
LOOKUP_COMMENTS = 1000
COMMENTS_PAGE = 100


@dataclass(frozen=True)
class KnownIssue:
    key: str
    resolved: bool


@dataclass(eq=False)
class JiraIssues(IssueTarget[JiraIntegration]):
    """The ``jira`` target. ``database`` holds the Jira schema, migrated
    (:data:`services.notifier.delivery.jira_tables.SCHEMA`); ``site_url`` is JIRA_URL, used
    when ``integrations.jira.url`` is empty."""

    #: A send that may have arrived is looked up (:meth:`reconcile`) before it is made again.
    resend_safe = True

    site_url: str | None = field(kw_only=True)

    async def known_issue(self, project: str, fingerprint: str) -> KnownIssue | None:
        """The issue opened for the problem in ``project``, if any."""
        async with self.database.transaction() as db:
            row = (
                await db.execute(
                    select(issues.c.issue_key, issues.c.resolved_at).where(
                        issues.c.project == project, issues.c.fingerprint == fingerprint
                    )
                )
            ).first()
        return None if row is None else KnownIssue(str(row.issue_key), row.resolved_at is not None)

    async def send_notification(
        self, notification: NotificationData, target: Target
    ) -> DeliveryResult:
        if not self.config.enabled:
            return disabled("Jira", "jira")
        try:
            site = jira_site(self.config, url=self.site_url, token=self.token)
        except JiraSetupError as exc:
            return DeliveryResult.failed(str(exc))
        project = target.channel or self.config.project_key
        if not PROJECT_KEY.match(project):
            return DeliveryResult.failed(
                f"Jira project key {project!r} is not a key like OPS: name it in the "
                "jira_issue action or in integrations.jira.project_key"
            )
        # One delivery per problem and project at a time, so two never open two issues.
        async with self.one_at_a_time(project, notification.fingerprint):
            known = await self.known_issue(project, notification.fingerprint)
            if notification.kind == "resolved":
                return await self._resolve(site, project, notification, known)
            if known is None or _comes_back(known, notification):
                return await self._open(site, project, notification, labels_of(target))
            if not self.config.comment_on_repeat:
                return DeliveryResult.ok(None, issue=known.key, skipped="the problem has an issue")
            return await self._comment(site, known.key, notification)

    async def _open(
        self, site: JiraSite, project: str, notification: NotificationData, labels: list[str]
    ) -> DeliveryResult:
        request = issue_fields(
            project=project,
            issue_type=self.config.issue_type,
            summary=issue_summary(notification),
            description=issue_description(notification, site.text),
            labels=labels or list(self.config.labels),
        )
        result = await self._call(site, "POST", "/issue", request)
        if isinstance(result, DeliveryResult):
            return result
        key, issue_id = result.get("key"), result.get("id")
        if not isinstance(key, str) or not key:
            return DeliveryResult.failed("Jira answered 201 without an issue key")
        return await self._remember(site, project, notification.fingerprint, key, issue_id)

    async def _remember(
        self, site: JiraSite, project: str, fingerprint: str, key: str, issue_id: Any
    ) -> DeliveryResult:
        url = site.browse(key)
        row = {
            "project": project,
            "fingerprint": fingerprint,
            "issue_key": key,
            "issue_id": str(issue_id or ""),
            "url": url,
            "created_at": self.wall_clock(),
            "resolved_at": None,
        }
        async with self.database.transaction() as db:
            # A new issue replaces one that was closed, never one another replica just opened.
            await upsert(
                db,
                issues,
                [row],
                key=["project", "fingerprint"],
                only_if=lambda _: issues.c.resolved_at.is_not(None),
            )
        return DeliveryResult.ok(url, issue=key, project=project)

    async def reconcile(
        self, notification: NotificationData, target: Target
    ) -> DeliveryResult | None:
        """For a send that may have arrived: the issue it opened, found and recorded, or the
        comment it made (a later notification's, or a resolution's under ``on_resolve:
        comment``), found; None when it is not there (so it is made now). A resolution that
        closes the issue is not looked for: run again, it finds the issue closed."""
        project = target.channel or self.config.project_key
        if not self.config.enabled or not PROJECT_KEY.match(project):
            return None
        try:
            site = jira_site(self.config, url=self.site_url, token=self.token)
        except JiraSetupError:
            return None  # the send fails as it would have
        known = await self.known_issue(project, notification.fingerprint)
        if known is not None and self._comments(known, notification):
            return await self._commented(site, known.key, notification)
        opens = known is None or _comes_back(known, notification)
        if notification.kind == "resolved" or not opens:
            return None
        found = await searched(
            self.http,
            site,
            f'project = "{project}" AND created >= -1d ORDER BY created DESC',
            ["description"],
            limit=LOOKUP_ISSUES,
            timeout=self.config.timeout_seconds,
        )
        if isinstance(found, JiraRefusal):
            return self._refused(found)
        for issue in found:
            description = (issue.get("fields") or {}).get("description")
            key = issue.get("key")
            if key == (known.key if known else None) or not isinstance(key, str):
                continue  # the problem's earlier issue, closed: not the one the send opened
            if site.text.names(description, "fingerprint", notification.fingerprint):
                return await self._remember(
                    site, project, notification.fingerprint, key, issue.get("id")
                )
        return None

    def _comments(self, known: KnownIssue, notification: NotificationData) -> bool:
        """Whether a send of ``notification`` comments on the problem's issue ``known``, as
        :meth:`send_notification` decides (not the comment a close falls back to)."""
        if notification.kind == "resolved":
            return not known.resolved and self.config.on_resolve == "comment"
        return not _comes_back(known, notification) and self.config.comment_on_repeat

    async def _commented(
        self, site: JiraSite, key: str, notification: NotificationData
    ) -> DeliveryResult | None:
        """The comment on issue ``key`` naming ``notification``, among its newest
        :data:`LOOKUP_COMMENTS`, as delivered; None when there is none."""
        wanted = notification_key(notification)
        start = 0
        while start < LOOKUP_COMMENTS:
            query = f"orderBy=-created&startAt={start}&maxResults={COMMENTS_PAGE}"
            answer = await self._call(site, "GET", f"/issue/{key}/comment?{query}")
            if isinstance(answer, DeliveryResult):
                return answer
            comments = answer.get("comments")
            if not isinstance(comments, list):
                return DeliveryResult.later(
                    SERVER_ERROR_RETRY_SECONDS, "Jira listed no comments: cannot tell yet"
                )
            for comment in comments:
                if isinstance(comment, dict) and site.text.names(
                    comment.get("body"), "notification", wanted
                ):
                    url = site.browse(key) + f"?focusedCommentId={comment.get('id')}"
                    return DeliveryResult.ok(url, issue=key, found=True)
            start += len(comments)
            if not comments or start >= int(answer.get("total") or 0):
                return None
        return None

    async def _comment(
        self, site: JiraSite, key: str, notification: NotificationData, note: str | None = None
    ) -> DeliveryResult:
        body = comment_body(notification, site.text)
        result = await self._call(site, "POST", f"/issue/{key}/comment", {"body": body})
        if isinstance(result, DeliveryResult):
            return result
        comment = result.get("id")
        url = site.browse(key) + (f"?focusedCommentId={comment}" if comment else "")
        details: dict[str, Any] = {"issue": key}
        if note:
            details["note"] = note
        return DeliveryResult.ok(url, **details)

    async def _resolve(
        self,
        site: JiraSite,
        project: str,
        notification: NotificationData,
        known: KnownIssue | None,
    ) -> DeliveryResult:
        if known is None:
            return DeliveryResult.ok(None, skipped="the problem has no Jira issue")
        if known.resolved:
            return DeliveryResult.ok(None, issue=known.key, skipped="the issue was told already")
        if self.config.on_resolve == "nothing":
            return DeliveryResult.ok(
                None, issue=known.key, skipped="integrations.jira.on_resolve is nothing"
            )
        if self.config.on_resolve == "close":
            result = await self._close(site, known.key, notification)
        else:
            result = await self._comment(site, known.key, notification)
        if result.delivered:
            async with self.database.transaction() as db:
                await db.execute(
                    update(issues)
                    .where(
                        issues.c.project == project,
                        issues.c.fingerprint == notification.fingerprint,
                    )
                    .values(resolved_at=self.wall_clock())
                )
        return result

    async def _close(
        self, site: JiraSite, key: str, notification: NotificationData
    ) -> DeliveryResult:
        name = self.config.close_transition
        closed = await close_issue(self.http, site, key, name, timeout=self.config.timeout_seconds)
        if isinstance(closed, JiraRefusal):
            return self._refused(closed)
        if not closed:
            note = f"no transition {name!r} from the issue's status: commented instead"
            return await self._comment(site, key, notification, note)
        return DeliveryResult.ok(site.browse(key), issue=key, transition=name)

    async def _call(
        self, site: JiraSite, method: str, path: str, payload: dict[str, Any] | None = None
    ) -> dict[str, Any] | DeliveryResult:
        answer = await jira_call(
            self.http, site, method, path, payload, timeout=self.config.timeout_seconds
        )
        return self._refused(answer) if isinstance(answer, JiraRefusal) else answer

    def _refused(self, refusal: JiraRefusal) -> DeliveryResult:
        if refusal.response is None:
            return DeliveryResult.later(
                SERVER_ERROR_RETRY_SECONDS, refusal.reason, unsure=refusal.unsure
            )
        return problem(refusal.response, self.wall_clock(), self.config.rate_limited_retry_seconds)


def _comes_back(known: KnownIssue, notification: NotificationData) -> bool:
    """Whether ``notification`` says the problem came back after its issue ``known`` was
    resolved (so a new issue is opened)."""
    return known.resolved and notification.kind == "new_alert"
