"""The ``create_jira_issue`` strategy against the local fake Jira (Cloud REST v3, Data Center
REST v2): opened with the error's details, closed on rollback, refusals reported with Jira's
words, and once per problem through the resolver."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from services.resolver import AutoResolver
from services.resolver.executors.jira import CreateJiraIssue
from services.resolver.strategy import ErrorContext
from shared.clock import ManualClock
from shared.config import load_settings
from shared.config.integrations import JiraIntegration
from tests.fakes.jira import FakeJira
from tests.fakes.server import serving
from tests.resolver_helpers import bind_strategy, classified_data, error_context


def _context(**changes: Any) -> ErrorContext:
    return error_context(**{"service": "@acme/oncall", "target": {"project": "OPS"}, **changes})


def _strategy(client: httpx.AsyncClient, url: str, **config: Any) -> CreateJiraIssue:
    settings = {"enabled": True, "url": url, "user_email": "ops@example.com", **config}
    token = settings.pop("token", "jira-token")
    return CreateJiraIssue(client, config=JiraIntegration(**settings), site_url=None, token=token)


async def test_a_jira_issue_is_opened_and_closed() -> None:
    fake = FakeJira("cloud")
    with serving(fake.app()) as url:
        async with httpx.AsyncClient(timeout=5) as client:
            strategy = _strategy(client, url, labels=["alertorch", "oom"])
            context = _context()
            result = await strategy.execute(context)
            assert result.success, result.message
            assert result.details == {"issue": "OPS-1", "url": f"{url}/browse/OPS-1"}
            closed = await strategy.rollback(context, result)
    assert closed.success, closed.message
    fields = fake.issues["OPS-1"]["fields"]
    assert fields["summary"] == "[high] OutOfMemoryError: Java heap space"
    assert fields["labels"] == ["alertorch", "oom"]
    facts = fields["description"]["content"][1]["content"]
    service = facts[2]["content"][0]["content"]
    assert service == [
        {"type": "text", "text": "service: "},
        {"type": "text", "text": "@acme/oncall", "marks": [{"type": "code"}]},
    ]
    assert fake.issues["OPS-1"]["status"] == "Closed"


async def test_data_center_gets_rest_v2_wiki_text_and_a_bearer_token() -> None:
    fake = FakeJira("data_center", token="pat-1")
    with serving(fake.app()) as url:
        async with httpx.AsyncClient(timeout=5) as client:
            strategy = _strategy(client, url, flavour="data_center", token="pat-1", user_email="")
            result = await strategy.execute(_context(params={"issue_type": "Task"}))
    assert result.success, result.message
    [(method, path, body)] = fake.requests
    assert (method, path) == ("POST", "/rest/api/2/issue")
    assert body["fields"]["issuetype"] == {"name": "Task"}
    assert (
        "{noformat}\nOutOfMemoryError: Java heap space\n{noformat}"
        in (body["fields"]["description"])
    )


@pytest.mark.parametrize(
    ("setup", "config", "expected"),
    [
        (
            lambda fake: None,
            {"project_key": ""},
            "the target needs a 'project' (or set integrations.jira.project_key)",
        ),
        (
            lambda fake: fake.projects.clear(),
            {},
            "Jira answered 400: project: Specify a valid project ID or key",
        ),
        (
            lambda fake: setattr(fake, "token", "other"),
            {},
            "Jira answered 401: Client must be authenticated to access this resource.",
        ),
        (
            lambda fake: setattr(fake, "rate_limited", 1),
            {},
            "Jira answered 429: Rate limit exceeded.",
        ),
        (lambda fake: None, {"token": None}, "Jira needs a token: set JIRA_TOKEN"),
    ],
)
async def test_jira_errors_are_reported(
    setup: Callable[[FakeJira], object], config: dict[str, Any], expected: str
) -> None:
    fake = FakeJira("cloud")
    setup(fake)
    context = _context(target={}) if "project_key" in config else _context()
    with serving(fake.app()) as url:
        async with httpx.AsyncClient(timeout=5) as client:
            result = await _strategy(client, url, **config).execute(context)
    assert not result.success
    assert result.message == expected


async def test_a_jira_issue_opens_once_per_problem(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeJira("cloud")
    with serving(fake.app()) as url:
        monkeypatch.setenv("JIRA_TOKEN", fake.token)
        monkeypatch.setenv("JIRA_URL", url)
        monkeypatch.setenv("ALERTORCH_INTEGRATIONS__JIRA__USER_EMAIL", fake.email)
        bind_strategy(monkeypatch, "create_jira_issue", {"project": "OPS"})
        clock = ManualClock()
        resolver = AutoResolver(load_settings(), clock=clock)
        data = classified_data()
        try:
            first = await resolver.resolve_error(data)
            again = await resolver.resolve_error(data)
            history = resolver.get_resolution_history()
        finally:
            await resolver.close()
    assert first == ["auto_resolving", "executing", "verifying"]
    assert again == ["suppressed"]
    assert history[0].status in ("verifying", "succeeded")
    assert list(fake.issues) == ["OPS-1"]
