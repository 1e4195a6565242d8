"""Datadog webhook payloads (tests/fixtures/ingest) to RawError: pure functions, no I/O."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from services.ingest.errors import InvalidPayload
from services.ingest.normalise.datadog import datadog_to_event, split_title, tag_pairs
from shared.events import RawError, Severity
from shared.fingerprint import fingerprint

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "ingest"
TRIGGERED = "datadog_webhook_template_triggered.docs.json"
RECOVERED = "datadog_webhook_template_recovered.docs.json"
DEFAULT = "datadog_webhook_default_payload_triggered.relay-integrations.json"


def load(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return loaded


def event(body: dict[str, Any]) -> RawError:
    return datadog_to_event(body, producer="/t")


def test_triggered_then_recovered_is_one_problem_that_resolves() -> None:
    fired = event(load(TRIGGERED))
    data = fired.data
    key = "monitor:11023:1234:availability-zone:us-east-1a,role:computing-node"
    assert data.fingerprint == fingerprint(kind="dedup_key", parts=["datadog", key])
    assert fired.subject == data.fingerprint
    assert (data.origin, data.status, data.external_id) == ("datadog", "firing", "1234")
    assert data.title == "[Memory Alert]"
    assert data.message == "@webhook-url Sending to the webhook"
    assert (data.severity, data.level) == (Severity.CRITICAL, "error")  # P1
    assert data.url == "https://app.datadoghq.com/event/jump_to?event_id=123456"
    assert data.first_seen == datetime(2014, 7, 29, 19, 37, 52, tzinfo=UTC)
    assert data.last_seen is None
    assert data.tags == {
        "availability-zone": "us-east-1a",
        "role": "computing-node",
        "monitor": "true",
        "name": "myService",
        "monitor_id": "1234",
        "transition": "Triggered",
        "priority": "P1",
        "metric": "system.load.1",
        "query": "max(last_1m):avg:system.load.1{host:my-host} > 0",
        "event_type": "query_alert_monitor",
        "host": "ip-012345",
        "org": "Datadog",
    }
    recovered = event(load(RECOVERED)).data
    assert recovered.fingerprint == data.fingerprint
    assert recovered.status == "resolved"
    assert recovered.title == data.title
    assert recovered.last_seen == datetime(2014, 7, 29, 19, 42, 52, tzinfo=UTC)
    assert recovered.first_seen is None
    assert recovered.severity is Severity.CRITICAL  # the priority stays the problem's


def test_a_redelivery_is_the_same_event_and_each_notification_another() -> None:
    body = load(TRIGGERED)
    assert event(body).id == event(load(TRIGGERED)).id
    assert event({**body, "id": "7654321"}).id != event(body).id
    assert event(load(RECOVERED)).id != event(body).id
    no_id = {k: v for k, v in body.items() if k != "id"}
    assert event(no_id).id == event(dict(no_id)).id  # from the whole body
    assert event({**no_id, "date": "1406662700000"}).id != event(no_id).id


@pytest.mark.parametrize(
    ("transition", "alert_type", "priority", "severity", "status"),
    [
        ("Warn", "warning", "", Severity.MEDIUM, "firing"),
        ("Re-Warn", "", "", Severity.MEDIUM, "firing"),
        ("No Data", "", "", Severity.MEDIUM, "firing"),
        ("Re-No Data", "error", "", Severity.HIGH, "firing"),
        ("Re-Triggered", "error", "", Severity.HIGH, "firing"),
        ("Renotify", "", "P4", Severity.LOW, "firing"),
        ("Triggered", "info", "", Severity.INFO, "firing"),
        ("Recovered", "success", "", Severity.HIGH, "resolved"),
        ("Recovered", "success", "P3", Severity.MEDIUM, "resolved"),
    ],
)
def test_transitions_and_severity(
    transition: str, alert_type: str, priority: str, severity: Severity, status: str
) -> None:
    body = {
        **load(TRIGGERED),
        "alert_transition": transition,
        "alert_type": alert_type,
        "alert_priority": priority,
    }
    data = event(body).data
    assert (data.severity, data.status) == (severity, status)
    assert data.fingerprint == event(load(TRIGGERED)).data.fingerprint


def test_datadog_default_payload_falls_back_on_the_title() -> None:
    fired = event(load(DEFAULT)).data
    assert fired.title == "[TEST] Host Cluster Alert"
    assert (fired.status, fired.severity, fired.level) == ("firing", Severity.HIGH, "triggered")
    assert fired.message is not None
    assert fired.message.startswith("@webhook-relay-test")
    assert not fired.message.endswith("%%%")
    assert fired.first_seen == datetime(2020, 6, 3, 20, 43, 5, tzinfo=UTC)
    assert fired.tags == {"event_type": "service_check", "org": "Puppet"}
    assert (fired.service, fired.environment, fired.url, fired.external_id) == (None,) * 4
    recovered = load(DEFAULT)
    recovered.update(id="5485379890863845240", title="[Recovered] [TEST] Host Cluster Alert")
    again = event(recovered).data
    assert (again.status, again.fingerprint) == ("resolved", fired.fingerprint)


def test_service_environment_and_scope_from_tags() -> None:
    body = {
        **load(TRIGGERED),
        "alert_scope": "service:checkout, env:production",
        "tags": "monitor, env:production, env:eu, team:payments,service:checkout",
    }
    data = event(body).data
    assert (data.service, data.environment) == ("checkout", "production")
    assert data.tags["env"] == "production,eu"
    assert data.tags["team"] == "payments"
    # The same group in another order is the same problem; another group is another.
    swapped = {**body, "alert_scope": "env:production,service:checkout"}
    assert event(swapped).data.fingerprint == data.fingerprint
    other = {**body, "alert_scope": "service:search, env:production"}
    assert event(other).data.fingerprint != data.fingerprint


def test_missing_and_unfilled_fields_fall_back() -> None:
    body = load(TRIGGERED)
    for key in ("alert_id", "alert_scope", "alert_transition", "alert_priority", "alert_type"):
        body[key] = f"${key.upper()}"  # left unfilled by Datadog
    body["title"] = "$EVENT_TITLE"
    body["body"] = ""
    body["org"] = "not an object"
    data = event(body).data
    # The alert title, its prefix and its scope stand in for what is missing.
    assert data.title == "Host is Down"
    assert (data.status, data.severity, data.level) == ("firing", Severity.HIGH, "triggered")
    assert data.message == body["alert_status"]
    assert data.external_id == "9bd4ac313a4d1e8fae2482df7b77628"
    key = "aggregate::9bd4ac313a4d1e8fae2482df7b77628"
    assert data.fingerprint == fingerprint(kind="dedup_key", parts=["datadog", key])
    assert "org" not in data.tags
    bare = {"title": "[P2] [Warn on {host:db-1}] Replication lag"}
    lag = event(bare).data
    assert (lag.title, lag.severity, lag.status) == ("Replication lag", Severity.MEDIUM, "firing")
    assert lag.tags == {"host": "db-1"}
    other_host = event({"title": "[Warn on {host:db-2}] Replication lag"}).data
    assert other_host.fingerprint != lag.fingerprint


@pytest.mark.parametrize(
    "body",
    [{}, {"title": ""}, {"title": "$EVENT_TITLE", "alert_title": None}, {"title": {"x": 1}}],
)
def test_a_payload_without_any_title_is_refused_naming_the_field(body: dict[str, Any]) -> None:
    with pytest.raises(InvalidPayload) as caught:
        event(body)
    assert caught.value.status == 422
    assert caught.value.details[0]["field"] == "title"
    assert "$EVENT_TITLE" in caught.value.details[0]["error"]


def test_title_prefixes_and_tag_lists() -> None:
    assert split_title("[P1] [Triggered on {host:a,env:b}] Disk full").name == "Disk full"
    split = split_title("[Re-No Data] [P3] CPU")
    assert (split.name, split.transition, split.scope) == ("CPU", "re-no data", "")
    assert split_title("[Memory Alert]").name == "[Memory Alert]"
    assert split_title("[Recovered]").name == "[Recovered]"  # nothing left: keep it whole
    assert tag_pairs("*") == []
    assert tag_pairs("monitor, name:myService, url:http://x:1, ,:v") == [
        ("monitor", "true"),
        ("name", "myService"),
        ("url", "http://x:1"),
    ]


def test_the_documented_template_is_the_one_the_fixtures_fill_in() -> None:
    doc = (FIXTURES.parent.parent.parent / "docs" / "ingest.md").read_text(encoding="utf-8")
    section = doc.split("## `POST /webhooks/datadog`")[1]
    template = json.loads(section.split("```json\n")[1].split("```")[0])
    filled = load(TRIGGERED)
    assert template.keys() == filled.keys()
    assert template["org"] == {"id": "$ORG_ID", "name": "$ORG_NAME"}
    assert all(v.startswith("$") for v in template.values() if isinstance(v, str))
    default = load(DEFAULT)
    assert default.keys() <= template.keys(), "Datadog's default payload is part of it"
