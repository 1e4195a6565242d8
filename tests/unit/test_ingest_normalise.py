"""Vendor payloads (real ones, from tests/fixtures/ingest) to RawError: pure functions, no I/O."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from services.ingest.errors import InvalidPayload
from services.ingest.normalise.alertmanager import alertmanager_to_events
from services.ingest.normalise.common import parse_time, tags
from services.ingest.normalise.sentry_event import event_to_raw
from services.ingest.normalise.sentry_issue import issue_to_raw
from services.ingest.normalise.sentry_webhook import webhook_to_events
from shared.events import RawError, Severity
from shared.fingerprint import fingerprint

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "ingest"


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def sdk_event(name: str) -> RawError:
    return event_to_raw(
        load(name), origin="sentry_sdk", producer="/test", event_id="e-1", project="42"
    )


def test_polled_issue_is_keyed_by_its_sentry_issue_id() -> None:
    issue = load("sentry_api_issue_detail.sentry-mcp.json")
    event = issue_to_raw(issue, origin="sentry_api", producer="/test", event_id="e-1")
    data = event.data
    assert data.fingerprint == fingerprint(kind="sentry_issue", parts=["6507376925"])
    assert event.subject == data.fingerprint
    assert data.title == "Error: Tool list_organizations is already registered"
    assert data.count == 25
    assert data.user_count == 1
    assert data.severity is Severity.HIGH
    assert data.level == "error"
    assert data.project == "CLOUDFLARE-MCP"
    assert data.culprit == "Object.fetch(index)"
    assert data.url == "https://sentry-mcp-evals.sentry.io/issues/6507376925/"
    assert data.external_id == "6507376925"
    assert data.exception[0].type == "Error"
    assert data.status == "firing"
    assert data.last_seen is not None
    assert data.last_seen.isoformat().startswith("2025-04-12T11")
    assert data.tags["short_id"] == "CLOUDFLARE-MCP-41"


def test_issue_without_id_names_the_field() -> None:
    with pytest.raises(InvalidPayload) as caught:
        issue_to_raw({"title": "x"}, origin="sentry_api", producer="/t", event_id="e", field="i")
    assert caught.value.details == [{"field": "i.id", "error": "must be a non-empty string"}]


@pytest.mark.parametrize(
    ("name", "resource", "status", "issue_id"),
    [
        ("sentry_webhook_issue_created.docs.json", "issue", "firing", "1170820242"),
        ("sentry_webhook_issue_resolved.zulip.json", "issue", "resolved", "1638821441"),
        ("sentry_webhook_error_created.docs.json", "error", "firing", "1170820242"),
        ("sentry_webhook_event_alert_triggered.docs.json", "event_alert", "firing", "1117540176"),
    ],
)
def test_sentry_webhooks_key_by_issue(name: str, resource: str, status: str, issue_id: str) -> None:
    result = webhook_to_events(resource, load(name), event_id="e-1", producer="/t")
    assert result.ignored is None
    [event] = result.events
    assert event.data.origin == "sentry_webhook"
    assert event.data.fingerprint == fingerprint(kind="sentry_issue", parts=[issue_id])
    assert event.data.status == status
    assert event.data.external_id == issue_id


def test_error_webhook_carries_the_event_details() -> None:
    body = load("sentry_webhook_error_created.docs.json")
    [event] = webhook_to_events("error", body, event_id="e-1", producer="/t").events
    data = event.data
    assert data.title == "ReferenceError: blooopy is not defined"
    assert data.exception[0].type == "ReferenceError"
    assert data.exception[0].frames[0].filename == "/runner"
    assert data.tags["browser"] == "Chrome 75.0.3770"
    assert data.url is not None
    assert data.url.endswith("bb78c1407cea4519aa397afc059c793d/")


def test_event_alert_names_the_rule() -> None:
    body = load("sentry_webhook_event_alert_triggered.docs.json")
    [event] = webhook_to_events("event_alert", body, event_id="e-1", producer="/t").events
    assert event.data.tags["triggered_rule"] == "Very Important Alert Rule!"


def test_metric_alert_is_keyed_by_incident_and_resolves() -> None:
    body = load("sentry_webhook_metric_alert_resolved.docs.json")
    [event] = webhook_to_events("metric_alert", body, event_id="e-1", producer="/t").events
    data = event.data
    assert data.status == "resolved"
    assert data.title == "Too many errors"
    assert data.dedup_key == "metric_alert:5:4"
    assert data.fingerprint == fingerprint(kind="dedup_key", parts=["sentry", "metric_alert:5:4"])
    assert data.project == "bar"
    critical = {**body, "action": "critical"}
    [fired] = webhook_to_events("metric_alert", critical, event_id="e-2", producer="/t").events
    assert fired.data.fingerprint == data.fingerprint
    assert fired.data.severity is Severity.CRITICAL
    assert fired.data.status == "firing"


@pytest.mark.parametrize(
    ("resource", "body", "ignored"),
    [
        ("issue", load("sentry_webhook_issue_assigned.zulip.json"), "issue.assigned"),
        ("installation", {"action": "created", "data": {}}, "installation.created"),
    ],
)
def test_state_changes_and_other_resources_publish_nothing(
    resource: str, body: dict[str, Any], ignored: str
) -> None:
    result = webhook_to_events(resource, body, event_id="e", producer="/t")
    assert result.events == []
    assert result.ignored == ignored


def test_webhook_without_data_names_the_field() -> None:
    with pytest.raises(InvalidPayload) as caught:
        webhook_to_events("error", {"action": "created"}, event_id="e", producer="/t")
    assert caught.value.details[0]["field"] == "data"


def test_sdk_exception_grouping_uses_type_and_in_app_frames() -> None:
    event = sdk_event("sentry_sdk_event_python_django_zerodivision.glitchtip.json")
    data = event.data
    assert data.title == "ZeroDivisionError: division by zero"
    assert data.severity is Severity.HIGH
    assert data.exception[-1].type == "ZeroDivisionError"
    assert data.exception[-1].frames, "stack frames are kept"
    assert data.project == "42"
    assert data.external_id == "dd9e1afb828a44d5b4df0183adaee5d8"
    # Same type and in-app frames, another message and line: the same problem.
    raw = load("sentry_sdk_event_python_django_zerodivision.glitchtip.json")
    raw["exception"]["values"][0]["value"] = "float division by zero"
    for frame in raw["exception"]["values"][0]["stacktrace"]["frames"]:
        frame["lineno"] = 1
    again = event_to_raw(raw, origin="sentry_sdk", producer="/t", event_id="e-2", project="42")
    assert again.data.fingerprint == data.fingerprint
    other = event_to_raw(raw, origin="sentry_sdk", producer="/t", event_id="e-3", project="7")
    assert other.data.fingerprint != data.fingerprint


def test_sdk_custom_fingerprint_wins() -> None:
    data = sdk_event("sentry_sdk_event_python_custom_fingerprint.glitchtip.json").data
    assert data.fingerprint == fingerprint(kind="sdk", parts=["42", "fingerprint", "foo"])
    assert data.title == "Exception: something 9"


def test_sdk_default_fingerprint_marker_means_default_grouping() -> None:
    raw = load("sentry_sdk_event_python_custom_fingerprint.glitchtip.json")
    raw["fingerprint"] = ["{{ default }}"]
    plain = dict(raw)
    del plain["fingerprint"]
    a = event_to_raw(raw, origin="sentry_sdk", producer="/t", event_id="e", project="1")
    b = event_to_raw(plain, origin="sentry_sdk", producer="/t", event_id="e", project="1")
    assert a.data.fingerprint == b.data.fingerprint


def test_sdk_logging_event_groups_by_its_message() -> None:
    data = sdk_event("sentry_sdk_event_python_logging_warning.glitchtip.json").data
    assert data.title == "This is a warning: warning"
    assert data.severity is Severity.MEDIUM
    assert data.level == "warning"
    assert data.environment == "production"
    assert data.tags["logger"] == "errors.views"
    assert data.fingerprint == fingerprint(kind="message", parts=["42", data.title])


def test_sdk_js_event_keeps_release_and_tags() -> None:
    data = sdk_event("sentry_sdk_event_js_with_release_tags.glitchtip.json").data
    assert data.release == "1.0"
    assert data.environment == "production"
    assert data.tags["skippedNormalization"] == "true"
    assert data.title == "Error: this is an error"
    assert data.last_seen is not None


def test_sdk_minimal_event_with_empty_exception_list() -> None:
    data = sdk_event("sentry_sdk_event_minimal.glitchtip.json").data
    assert data.title == "<unlabeled event>"
    assert data.exception == []


def test_alertmanager_firing_group_gives_one_event_per_alert() -> None:
    events = alertmanager_to_events(
        load("alertmanager_webhook_v4_firing_two_alerts.zulip.json"), producer="/t"
    )
    assert [e.data.external_id for e in events] == ["a1bc48475b20e73d", "c2ea85182f28cbd9"]
    first = events[0].data
    assert first.fingerprint == fingerprint(kind="alertmanager", parts=["a1bc48475b20e73d"])
    assert first.title == "High CPU core temperature"
    assert first.message == "CPU core temperature is 34.75C"
    assert first.severity is Severity.CRITICAL
    assert first.status == "firing"
    assert first.tags["host"] == "andromeda"
    assert first.url is not None
    assert first.url.startswith("http://cobalt:9090/graph")
    assert first.last_seen is None, "the zero endsAt is no time"
    # A re-send of the same firing alert is the same event; its resolution is another.
    again = alertmanager_to_events(
        load("alertmanager_webhook_v4_firing_two_alerts.zulip.json"), producer="/t"
    )
    assert again[0].id == events[0].id
    [resolved] = alertmanager_to_events(
        load("alertmanager_webhook_v4_resolved_single.zulip.json"), producer="/t"
    )
    assert resolved.data.status == "resolved"
    assert resolved.data.fingerprint == first.fingerprint
    assert resolved.id != events[0].id


def test_an_alert_listed_twice_in_one_group_is_one_event() -> None:
    """The answer's ``accepted`` counts these events: it must be what reaches the topic."""
    body = load("alertmanager_webhook_v4_firing_two_alerts.zulip.json")
    body["alerts"] = [body["alerts"][0], body["alerts"][1], body["alerts"][0]]
    events = alertmanager_to_events(body, producer="/t")
    assert [e.data.external_id for e in events] == ["a1bc48475b20e73d", "c2ea85182f28cbd9"]


def test_alertmanager_problems_name_each_field() -> None:
    body = load("alertmanager_webhook_v4_firing_two_alerts.zulip.json")
    body["version"] = "3"
    del body["alerts"][1]["fingerprint"]
    with pytest.raises(InvalidPayload) as caught:
        alertmanager_to_events(body, producer="/t")
    fields = {d["field"] for d in caught.value.details}
    assert fields == {"version", "alerts.1.fingerprint"}


def test_tolerant_readers() -> None:
    assert tags([["a", "1"], ["b"], "x", [3, True]]) == {"a": "1", "3": "true"}
    assert tags({"k": {"nested": 1}, "n": 2.5}) == {"n": "2.5"}
    assert parse_time("0001-01-01T00:00:00Z") is None
    assert parse_time(1566248317.391) is not None
    assert parse_time("yesterday") is None
