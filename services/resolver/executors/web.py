"""HTTP strategies: a runbook or webhook call with a templated body, and GitHub issues (Jira
issues: :mod:`services.resolver.executors.jira`)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import httpx

from services.resolver.executors.issue_parts import issue_parts
from services.resolver.executors.url_template import (
    UnsafeTemplate,
    render_header,
    render_url,
    render_value,
)
from services.resolver.strategy import ErrorContext, ResolutionStrategy, StrategyResult
from shared.github_markdown import issue_body, issue_title

GITHUB_ACCEPT = "application/vnd.github+json"


def values_of(context: ErrorContext) -> dict[str, str]:
    """What ``${name}`` may name in a request template."""
    return {
        "fingerprint": context.fingerprint,
        "attempt_id": context.attempt_id,
        "category": context.category,
        "title": context.title,
        "severity": context.severity,
        "environment": context.environment or "",
        "service": context.service or "",
    }


def render(template: Any, context: ErrorContext) -> Any:
    """Fill ``${fingerprint}``, ``${title}``, ... in a JSON body; unknown names stay."""
    return render_value(template, values_of(context))


async def _send(
    client: httpx.AsyncClient, spec: Mapping[str, Any], context: ErrorContext
) -> StrategyResult:
    method = str(spec.get("method", "POST")).upper()
    values = values_of(context)
    try:
        url = render_url(str(spec["url"]), values)
    except UnsafeTemplate as exc:
        return StrategyResult(success=False, message=f"refused to call {spec['url']!r}: {exc}")
    headers = {
        str(k): render_header(str(v), values) for k, v in dict(spec.get("headers", {})).items()
    }
    try:
        response = await client.request(
            method, url, json=render_value(spec.get("body"), values), headers=headers
        )
    except httpx.HTTPError as exc:
        return StrategyResult(success=False, message=f"{method} {url}: {exc!r}")
    ok = response.status_code < 400
    return StrategyResult(
        success=ok,
        message=f"{method} {url}: {response.status_code}",
        details={"status": response.status_code},
    )


class HttpAction(ResolutionStrategy):
    """``target: {url, method, body, headers}``; optional ``params.rollback`` of the same shape."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        super().__init__("http_action", "Call a runbook or webhook URL", 0.8, "moderate")
        self._client = client

    async def execute(self, error_context: ErrorContext) -> StrategyResult:
        if "url" not in error_context.target:
            return StrategyResult(success=False, message="the target needs a 'url'")
        return await _send(self._client, error_context.target, error_context)

    async def rollback(self, error_context: ErrorContext, result: StrategyResult) -> StrategyResult:
        spec = error_context.params.get("rollback")
        if not isinstance(spec, Mapping) or "url" not in spec:
            return StrategyResult(success=False, message="no rollback request configured")
        return await _send(self._client, spec, error_context)


class CreateGithubIssue(ResolutionStrategy):
    """Open an issue in ``target.repository`` (``owner/name``) with the error's details; the
    resolver calls it once per fingerprint; rollback closes the issue."""

    once_per_problem = True

    def __init__(self, client: httpx.AsyncClient, *, token: str | None, labels: list[str]) -> None:
        super().__init__("create_github_issue", "Open a GitHub issue", 0.9, "safe")
        self._client = client
        self._headers = {"Accept": GITHUB_ACCEPT, "X-GitHub-Api-Version": "2022-11-28"}
        if token:
            self._headers["Authorization"] = f"Bearer {token}"
        self._labels = labels

    async def execute(self, error_context: ErrorContext) -> StrategyResult:
        repository = error_context.target.get("repository")
        if not repository:
            return StrategyResult(success=False, message="the target needs a 'repository'")
        body = {
            "title": issue_title(error_context.severity, error_context.title),
            "body": issue_body(issue_parts(error_context)),
            "labels": list(error_context.params.get("labels", self._labels)),
        }
        try:
            response = await self._client.post(
                f"/repos/{repository}/issues", json=body, headers=self._headers
            )
        except httpx.HTTPError as exc:
            return StrategyResult(success=False, message=f"GitHub: {exc!r}")
        if response.status_code != 201:
            return StrategyResult(
                success=False,
                message=f"GitHub answered {response.status_code}: {_message(response)}",
            )
        issue = response.json()
        return StrategyResult(
            success=True,
            message=f"opened {issue.get('html_url')}",
            details={"issue": issue.get("number"), "url": issue.get("html_url")},
            rollback_data={"repository": repository, "number": issue.get("number")},
        )

    async def verify(self, error_context: ErrorContext, result: StrategyResult) -> bool | None:
        """An opened issue is the whole effect: it does not stop the error."""
        return True

    async def rollback(self, error_context: ErrorContext, result: StrategyResult) -> StrategyResult:
        repository, number = (
            result.rollback_data.get("repository"),
            result.rollback_data.get("number"),
        )
        if not repository or not number:
            return StrategyResult(success=False, message="no issue to close")
        try:
            response = await self._client.patch(
                f"/repos/{repository}/issues/{number}",
                json={"state": "closed"},
                headers=self._headers,
            )
        except httpx.HTTPError as exc:
            return StrategyResult(success=False, message=f"GitHub: {exc!r}")
        return StrategyResult(
            success=response.status_code == 200,
            message=f"closed {repository}#{number}: {response.status_code}",
        )


def _message(response: httpx.Response) -> str:
    try:
        return str(response.json().get("message", ""))
    except (ValueError, json.JSONDecodeError):
        return response.text[:200]
