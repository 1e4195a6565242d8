"""Our notifications as PagerDuty Events API v2 bodies: actions, severities, limits, shape."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from services.notifier.delivery.pagerduty_events import (
    build_event,
    dedup_key,
    event_action,
    severity,
)
from shared.events import ErrorSummary, NotificationData, Severity, Target
from tests.fakes.pagerduty import validate
from tests.notifications import notification_data

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "delivery"
KEY = "e93facc04764012d7bfb002500d5d1a6"
PAGERDUTY = Target(type="pagerduty", channel="oncall_service")


def _notification(
    kind: Any = "new_alert", text: str = "", summary: dict[str, Any] | None = None, **changes: Any
) -> NotificationData:
    """A level-2 notification to :data:`PAGERDUTY` of a rising database problem; ``summary``
    replaces fields of its summary, ``changes`` of the notification."""
    fields: dict[str, Any] = {
        "title": "Connection to db-1 refused",
        "severity": Severity.HIGH,
        "category": "database",
        "service": "billing",
        "environment": "production",
        "impact_score": 80,
        "trend": "rising",
        "count": 12,
        "url": "https://sentry.example.com/issues/42/",
    }
    fields.update(summary or {})
    return notification_data(
        PAGERDUTY, ErrorSummary(**fields), kind=kind, level=2, text=text, **changes
    )


def _fixture(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return loaded


@pytest.mark.parametrize(
    ("kind", "text", "action"),
    [
        ("new_alert", "", "trigger"),
        ("escalation", "level 1 not acknowledged within 15 min", "trigger"),
        ("update", "acknowledged by alice", "acknowledge"),
        ("update", "snoozed by bob until 2025-01-01 10:00 UTC", None),
        ("resolved", "resolved by alice", "resolve"),
        ("digest", "", None),
        ("resolution_succeeded", "", None),
    ],
)
def test_notification_kinds_map_to_event_actions(kind: str, text: str, action: str | None) -> None:
    assert event_action(_notification(kind=kind, text=text)) == action


def test_a_trigger_has_the_shape_of_pagerdutys_own_example() -> None:
    event = build_event(
        _notification(text="seen 12 times"),
        PAGERDUTY,
        routing_key=KEY,
        action="trigger",
        default_source="alertorch",
    )
    example = _fixture("pagerduty_events_v2_trigger_request.openapi.json")
    assert validate(event) == []
    assert validate(example) == []
    assert set(event) <= set(example)
    assert set(event["payload"]) <= set(example["payload"])
    assert event["dedup_key"] == "fp-42"
    payload = event["payload"]
    assert payload["summary"] == "[high] Connection to db-1 refused (production)"
    assert (payload["source"], payload["severity"]) == ("billing", "error")
    assert (payload["component"], payload["group"], payload["class"]) == (
        "billing",
        "production",
        "database",
    )
    assert payload["custom_details"]["occurrences"] == 12
    assert payload["custom_details"]["text"] == "seen 12 times"
    assert event["links"] == [
        {"href": "https://sentry.example.com/issues/42/", "text": "Error details"}
    ]


@pytest.mark.parametrize("action", ["acknowledge", "resolve"])
def test_acknowledge_and_resolve_carry_only_the_key_and_dedup_key(action: Any) -> None:
    event = build_event(
        _notification(kind="update"),
        PAGERDUTY,
        routing_key=KEY,
        action=action,
        default_source="alertorch",
    )
    example = _fixture(f"pagerduty_events_v2_{action}_request.developer-docs.json")
    assert set(event) == set(example)
    assert event == {"routing_key": KEY, "event_action": action, "dedup_key": "fp-42"}


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (Severity.CRITICAL, "critical"),
        (Severity.HIGH, "error"),
        (Severity.MEDIUM, "warning"),
        (Severity.LOW, "info"),
        (Severity.INFO, "info"),
    ],
)
def test_severities_map_to_pagerdutys(ours: Severity, theirs: str) -> None:
    assert severity(_notification(summary={"severity": ours}), PAGERDUTY) == theirs


def test_a_phone_call_is_critical_and_names_who_to_call() -> None:
    phone = Target(type="pagerduty", channel="oncall_service", mentions=["phone:oncall_engineer"])
    notification = _notification(kind="escalation", summary={"severity": Severity.LOW})
    event = build_event(
        notification, phone, routing_key=KEY, action="trigger", default_source="alertorch"
    )
    assert event["payload"]["severity"] == "critical"
    assert event["payload"]["custom_details"]["phone_call"] == ["oncall_engineer"]


def test_long_titles_and_fingerprints_fit_pagerdutys_limits() -> None:
    notification = _notification(
        fingerprint="f" * 256,
        summary={"title": "x" * 1000, "environment": "e" * 100, "service": None, "url": None},
    )
    event = build_event(
        notification, PAGERDUTY, routing_key=KEY, action="trigger", default_source="alertorch"
    )
    assert validate(event) == []
    assert len(event["payload"]["summary"]) == 1024
    assert event["payload"]["source"] == "alertorch"
    assert "links" not in event
    assert len(event["dedup_key"]) <= 255
    assert event["dedup_key"] == dedup_key("f" * 256) != dedup_key("f" * 255) == "f" * 255
