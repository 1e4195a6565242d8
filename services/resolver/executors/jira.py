"""The ``create_jira_issue`` strategy: a Jira issue with the error's details (Jira Cloud REST v3
or Data Center REST v2, :mod:`shared.jira_api`); rollback closes it."""

from __future__ import annotations

import httpx

from services.resolver.executors.issue_parts import issue_parts
from services.resolver.strategy import ErrorContext, ResolutionStrategy, StrategyResult
from shared import jira_text
from shared.config.integrations import JiraIntegration
from shared.jira_api import (
    JiraRefusal,
    JiraSetupError,
    JiraSite,
    close_issue,
    issue_fields,
    jira_call,
    jira_site,
)


class CreateJiraIssue(ResolutionStrategy):
    """Open an issue in ``target.project`` (else ``integrations.jira.project_key``) with the
    error's details; ``params.labels`` and ``params.issue_type`` override the settings'. The
    resolver calls it once per fingerprint; rollback closes the issue with
    ``integrations.jira.close_transition``."""

    once_per_problem = True

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        config: JiraIntegration,
        site_url: str | None,
        token: str | None,
    ) -> None:
        super().__init__("create_jira_issue", "Open a Jira issue", 0.9, "safe")
        self._client = client
        self._config = config
        self._site_url = site_url
        self._token = token

    def _site(self) -> JiraSite:
        return jira_site(self._config, url=self._site_url, token=self._token)

    async def execute(self, error_context: ErrorContext) -> StrategyResult:
        project = str(error_context.target.get("project") or self._config.project_key)
        if not project:
            return StrategyResult(
                success=False,
                message="the target needs a 'project' (or set integrations.jira.project_key)",
            )
        try:
            site = self._site()
        except JiraSetupError as exc:
            return StrategyResult(success=False, message=str(exc))
        params = error_context.params
        request = issue_fields(
            project=project,
            issue_type=str(params.get("issue_type", self._config.issue_type)),
            summary=jira_text.summary(error_context.severity, error_context.title),
            description=site.text.description(issue_parts(error_context)),
            labels=list(params.get("labels", self._config.labels)),
        )
        answer = await jira_call(
            self._client, site, "POST", "/issue", request, timeout=self._config.timeout_seconds
        )
        if isinstance(answer, JiraRefusal):
            return StrategyResult(success=False, message=answer.reason)
        key = str(answer.get("key") or "")
        if not key:
            return StrategyResult(success=False, message="Jira answered 201 without an issue key")
        return StrategyResult(
            success=True,
            message=f"opened {site.browse(key)}",
            details={"issue": key, "url": site.browse(key)},
            rollback_data={"issue": key},
        )

    async def verify(self, error_context: ErrorContext, result: StrategyResult) -> bool | None:
        """An opened issue is the whole effect: it does not stop the error."""
        return True

    async def rollback(self, error_context: ErrorContext, result: StrategyResult) -> StrategyResult:
        key = result.rollback_data.get("issue")
        if not key:
            return StrategyResult(success=False, message="no issue to close")
        try:
            site = self._site()
        except JiraSetupError as exc:
            return StrategyResult(success=False, message=str(exc))
        name = self._config.close_transition
        closed = await close_issue(
            self._client, site, key, name, timeout=self._config.timeout_seconds
        )
        if isinstance(closed, JiraRefusal):
            return StrategyResult(success=False, message=closed.reason)
        if not closed:
            return StrategyResult(
                success=False, message=f"{key} has no transition {name!r} from its status"
            )
        return StrategyResult(success=True, message=f"closed {key} ({name})")
