"""Jira issue text in both dialects (untrusted text cannot mention, link or break out), what
answers mean, and where the escalation rules send Jira notifications (a resolution included)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from services.notifier.delivery.catalog import issue_targets
from services.notifier.delivery.identity import notification_key
from services.notifier.delivery.jira_answers import problem, rate_limit_wait
from services.notifier.delivery.jira_issue import comment_body, issue_description, issue_summary
from services.notifier.policy import EscalationPolicy, Notify, ResolutionInput
from services.notifier.policy.memory import MemoryDriver
from services.notifier.routes_check import disabled_routes
from services.notifier.rules_file import load_rules
from shared.config import Settings
from shared.config.integrations import JiraIntegration
from shared.config.yaml_lines import load_yaml
from shared.events import ErrorSummary, NotificationData, ResolutionData, Target
from shared.jira_api import CloudSite, DataCenterSite, JiraSetupError, jira_site, transition_id
from shared.jira_text import AdfText, WikiText
from tests.notifications import error_summary, notification_data

NOW = 1_700_000_000.0


def _notification(**changes: Any) -> NotificationData:
    summary = error_summary(**{"title": "Boom [~admin] {noformat}", **changes.pop("summary", {})})
    return notification_data(Target(type="jira"), summary, **changes)


def test_wiki_text_keeps_untrusted_text_in_noformat_blocks_it_cannot_close() -> None:
    body = issue_description(_notification(), WikiText())
    assert "{noformat}\nBoom [~admin] { noformat}\n{noformat}" in body
    assert "service: billing\n" in body
    assert "Details: [https://sentry.example.com/issues/42/]" in body
    assert body.count("{noformat}") == 6
    hostile = issue_description(
        _notification(summary={"url": "https://x.example/|[~admin]", "service": "[~admin]"}),
        WikiText(),
    )
    assert "Details:" not in hostile
    assert "{noformat}\nhttps://x.example/|[~admin]\n{noformat}" in hostile
    notification = _notification(text="{NOFORMAT}x")
    comment = comment_body(notification, WikiText())
    assert comment == (
        "escalation at escalation level 3 (severity critical, 1 occurrences)\n\n"
        "{noformat}\n{ noformat}x\n{noformat}\n\n"
        f"notification: {notification_key(notification)}"
    )
    assert WikiText().names(comment, "notification", notification_key(notification))
    assert not WikiText().names(comment, "notification", notification_key(_notification()))


def test_adf_text_is_literal_and_links_only_a_plain_url() -> None:
    doc = issue_description(_notification(), AdfText())
    assert (doc["type"], doc["version"]) == ("doc", 1)
    items = doc["content"][1]["content"]
    texts = [item["content"][0]["content"] for item in items]
    assert texts[-1][1] == {"type": "text", "text": "fp-42", "marks": [{"type": "code"}]}
    [link] = [t[1] for t in texts if t[0]["text"] == "details: "]
    assert link["marks"] == [
        {"type": "link", "attrs": {"href": "https://sentry.example.com/issues/42/"}}
    ]
    assert doc["content"][3] == {
        "type": "codeBlock",
        "content": [{"type": "text", "text": "Boom [~admin] {noformat}"}],
    }
    odd = issue_description(_notification(summary={"url": "javascript:alert(1)"}), AdfText())
    [shown] = [
        item["content"][0]["content"][1]
        for item in odd["content"][1]["content"]
        if item["content"][0]["content"][0]["text"] == "details: "
    ]
    assert shown["marks"] == [{"type": "code"}]
    notification = _notification(text="")
    comment = comment_body(notification, AdfText())
    key = notification_key(notification)
    assert comment["content"] == [
        {
            "type": "paragraph",
            "content": [
                {
                    "type": "text",
                    "text": "escalation at escalation level 3 (severity critical, 1 occurrences)",
                }
            ],
        },
        {
            "type": "paragraph",
            "content": [
                {"type": "text", "text": "notification: "},
                {"type": "text", "text": key, "marks": [{"type": "code"}]},
            ],
        },
    ]
    assert AdfText().names(comment, "notification", key)
    assert not AdfText().names(comment, "notification", notification_key(_notification()))


def test_the_summary_is_one_line_within_jiras_limit() -> None:
    summary = issue_summary(_notification(summary={"title": "a\nb" + "x" * 400}))
    assert "\n" not in summary
    assert len(summary) == 255
    assert summary.startswith("[critical] a b")


def _answer(status: int, headers: dict[str, str] | None = None, body: Any = None) -> httpx.Response:
    return httpx.Response(status, headers=headers, json=body if body is not None else {})


def test_rate_limits_wait_for_retry_after_then_the_reset_time_then_the_default() -> None:
    assert rate_limit_wait(_answer(429, {"Retry-After": "17"}), NOW, 60) == 17
    minute = NOW - NOW % 60  # the reset time has minutes only, as Jira Cloud sends it
    reset = datetime.fromtimestamp(minute, UTC) + timedelta(minutes=5)
    header = reset.strftime("%Y-%m-%dT%H:%MZ")
    assert rate_limit_wait(_answer(429, {"X-RateLimit-Reset": header}), minute, 60) == 300
    assert rate_limit_wait(_answer(429, {"X-RateLimit-Reset": "soon"}), NOW, 60) == 60
    assert rate_limit_wait(_answer(429, {"Retry-After": "999999"}), NOW, 60) == 3600
    assert rate_limit_wait(_answer(400), NOW, 60) is None


def test_what_an_answer_means() -> None:
    limited = problem(_answer(429, {"Retry-After": "5"}), NOW, 60)
    assert (limited.rate_limited, limited.retry_after) == (True, 5)
    busy = problem(_answer(503, {"Retry-After": "120"}), NOW, 60)
    assert (busy.rate_limited, busy.retry_after) == (False, 120)
    assert problem(_answer(502), NOW, 60).retry_after == 30
    refused = problem(
        _answer(400, body={"errorMessages": ["Field 'priority' is required"], "errors": {}}),
        NOW,
        60,
    )
    assert refused.permanent
    assert refused.error == "Jira answered 400: Field 'priority' is required"
    html = problem(httpx.Response(403, text="<html>\n  Forbidden </html>"), NOW, 60)
    assert html.error == "Jira answered 403: <html> Forbidden </html>"


def test_the_site_follows_the_flavour_and_names_what_is_missing() -> None:
    cloud = jira_site(
        JiraIntegration(user_email="ops@example.com"), url="https://x.atlassian.net/", token="t"
    )
    assert isinstance(cloud, CloudSite)
    assert cloud.api("/issue") == "https://x.atlassian.net/rest/api/3/issue"
    assert cloud.headers()["Authorization"] == "Basic b3BzQGV4YW1wbGUuY29tOnQ="
    center = jira_site(
        JiraIntegration(flavour="data_center", url="https://jira.example.com/jira"),
        url="https://ignored.example",
        token="pat",
    )
    assert isinstance(center, DataCenterSite)
    assert center.api("/issue/OPS-1") == "https://jira.example.com/jira/rest/api/2/issue/OPS-1"
    assert center.browse("OPS-1") == "https://jira.example.com/jira/browse/OPS-1"
    assert center.headers()["Authorization"] == "Bearer pat"
    with pytest.raises(JiraSetupError, match="JIRA_URL"):
        jira_site(JiraIntegration(), url=None, token="t")
    with pytest.raises(JiraSetupError, match="user_email"):
        jira_site(JiraIntegration(), url="https://x.atlassian.net", token="t")


def test_settings_refuse_what_jira_would_refuse() -> None:
    for bad in ({"labels": ["two words"]}, {"project_key": "ops"}, {"url": "jira.example.com"}):
        with pytest.raises(ValueError, match=r"label|pattern|http"):
            JiraIntegration.model_validate(bad)


def test_a_transition_is_found_by_name_in_any_case() -> None:
    answer = {"transitions": [{"id": "2", "name": "Close Issue"}, {"id": "31", "name": "Done"}]}
    assert transition_id(answer, "done") == "31"
    assert transition_id(answer, "Resolve") is None
    assert transition_id({}, "Done") is None


RULES = """
escalation_levels:
  level_0:
    name: Bot
    timeout_minutes: 10
    actions:
      - {type: slack_notification, channels: ["#alerts"]}
  level_1:
    name: Team
    timeout_minutes: 15
    actions:
      - {type: jira_issue, project: OPS, labels: [database]}
      - {type: github_issue, repository: acme/web}
"""


def test_a_level_with_jira_issue_opens_it_and_a_resolution_closes_it() -> None:
    policy = EscalationPolicy.model_validate(yaml.safe_load(RULES))
    start = datetime(2025, 7, 1, 12, 0, tzinfo=UTC)
    run = MemoryDriver(policy, start)
    summary = ErrorSummary(title="Disk full", severity="medium")

    def resolution(status: str, rid: str) -> ResolutionInput:
        data = ResolutionData(fingerprint="fp", status=status, summary=summary)
        return ResolutionInput(rid, data)

    run.send(resolution("no_strategy", "r1"))
    [escalation] = [d for d in run.advance(timedelta(minutes=10)) if isinstance(d, Notify)]
    assert [(t.type, t.channel, t.mentions) for t in escalation.targets] == [
        ("jira", "OPS", ["label:database"]),
        ("github", "acme/web", []),
    ]
    [done] = [d for d in run.send(resolution("resolved_by_source", "r2")) if isinstance(d, Notify)]
    assert done.kind == "resolved"
    assert {(t.type, t.channel) for t in done.targets} == {("slack", "#alerts"), ("jira", "OPS")}


def test_validate_config_warns_about_jira_actions_while_jira_is_off(tmp_path: Path) -> None:
    path = tmp_path / "escalation_rules.yaml"
    path.write_text(RULES)
    policy = load_rules(path)
    _, lines = load_yaml(path)
    [warning] = [w for w in disabled_routes(policy, Settings(), lines) if "jira" in w]
    assert warning == (
        f"{path}:11: level_1 sends to jira, but integrations.jira.enabled is false: those "
        "deliveries are skipped"
    )
    enabled = Settings.model_validate({"integrations": {"jira": {"enabled": True}}})
    assert not [w for w in disabled_routes(policy, enabled, lines) if "jira" in w]


def test_the_create_issue_button_goes_to_every_enabled_tracker() -> None:
    assert issue_targets(Settings()) == [Target(type="github")]
    both = Settings.model_validate(
        {"integrations": {"jira": {"enabled": True}, "github": {"enabled": True}}}
    )
    assert [t.type for t in issue_targets(both)] == ["github", "jira"]
    jira_only = Settings.model_validate({"integrations": {"jira": {"enabled": True}}})
    assert issue_targets(jira_only) == [Target(type="jira")]
