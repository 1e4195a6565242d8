"""The PagerDuty target against a local fake Events API v2 that answers like the real one."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from services.notifier.delivery.pagerduty import PagerDutyEvents
from shared.clock import ManualClock
from shared.config.integrations import PagerDutyIntegration
from shared.events import ErrorSummary, NotificationData, Severity, Target
from tests.delivery import failed_for_good, skipped_quietly
from tests.fakes.pagerduty import FakePagerDuty
from tests.fakes.server import served
from tests.notifications import error_summary, notification_data
from tests.procs import free_port_block

KEY = "e93facc04764012d7bfb002500d5d1a6"
OTHER_KEY = "0123456789abcdef0123456789abcdef"
PAGERDUTY = Target(type="pagerduty", channel="oncall_service")


#: A critical problem of the ``billing`` service in production, with a Sentry link.
REFUSED = error_summary(title="Connection to db-1 refused", environment="production")


def _notification(
    kind: Any = "new_alert", text: str = "", summary: ErrorSummary = REFUSED, **changes: Any
) -> NotificationData:
    return notification_data(PAGERDUTY, summary, kind=kind, level=2, text=text, **changes)


@pytest.fixture
def fake() -> Iterator[tuple[FakePagerDuty, str]]:
    with served(FakePagerDuty()) as pagerduty:
        yield pagerduty


def _pagerduty(
    url: str, http: httpx.AsyncClient, clock: ManualClock | None = None, **config: Any
) -> PagerDutyEvents:
    settings = {"enabled": True, "events_url": f"{url}/v2/enqueue", **config}
    return PagerDutyEvents(
        PagerDutyIntegration(**settings),
        http=http,
        default_routing_key=KEY,
        clock=(clock or ManualClock()).time,
    )


async def test_trigger_acknowledge_resolve_follow_our_state(
    fake: tuple[FakePagerDuty, str], http: httpx.AsyncClient
) -> None:
    server, url = fake
    pagerduty = _pagerduty(url, http)
    triggered = await pagerduty.send_notification(_notification(), PAGERDUTY)
    assert triggered.delivered
    assert triggered.reference == "fp-42"
    assert server.incidents == {"fp-42": "triggered"}
    event = server.events[-1]
    assert event["routing_key"] == KEY
    assert event["payload"]["severity"] == "critical"
    assert event["links"][0]["href"] == "https://sentry.example.com/issues/42/"

    ack = await pagerduty.send_notification(
        _notification("update", "acknowledged by alice"), PAGERDUTY
    )
    assert ack.delivered
    assert server.incidents["fp-42"] == "acknowledged"
    resolved = await pagerduty.send_notification(
        _notification("resolved", "resolved by alice"), PAGERDUTY
    )
    assert resolved.delivered
    assert server.incidents["fp-42"] == "resolved"
    assert (server.calls["trigger"], server.calls["acknowledge"], server.calls["resolve"]) == (
        1,
        1,
        1,
    )


async def test_an_escalation_with_a_phone_call_pages_at_critical(
    fake: tuple[FakePagerDuty, str], http: httpx.AsyncClient
) -> None:
    server, url = fake
    phone = Target(type="pagerduty", channel="oncall_service", mentions=["phone:oncall_engineer"])
    notification = _notification(
        "escalation",
        "level 1 not acknowledged within 15 min",
        summary=ErrorSummary(title="Slow", severity=Severity.LOW),
    )
    result = await _pagerduty(url, http).handle_escalation(notification, phone)
    assert result.delivered
    payload = server.events[-1]["payload"]
    assert payload["severity"] == "critical"
    assert payload["custom_details"]["phone_call"] == ["oncall_engineer"]
    assert payload["source"] == "alertorch"


async def test_kinds_pagerduty_has_no_event_for_make_no_call(
    fake: tuple[FakePagerDuty, str], http: httpx.AsyncClient
) -> None:
    server, url = fake
    result = await _pagerduty(url, http).send_notification(
        _notification("update", "snoozed by bob"), PAGERDUTY
    )
    assert result.delivered
    assert result.reference is None
    assert server.calls["enqueue"] == 0


async def test_routing_keys_come_from_the_rules_names_then_the_defaults(
    fake: tuple[FakePagerDuty, str], http: httpx.AsyncClient
) -> None:
    server, url = fake
    mapped = _pagerduty(url, http, routing_keys={"oncall_service": OTHER_KEY})
    assert (await mapped.send_notification(_notification(), PAGERDUTY)).delivered
    assert server.events[-1]["routing_key"] == OTHER_KEY
    literal = Target(type="pagerduty", channel=OTHER_KEY)
    assert _pagerduty(url, http).routing_key(literal) == OTHER_KEY
    override = _pagerduty(url, http, service_key=OTHER_KEY)
    assert override.routing_key(PAGERDUTY) == OTHER_KEY
    assert _pagerduty(url, http).routing_key(Target(type="pagerduty")) == KEY
    keyless = PagerDutyEvents(
        PagerDutyIntegration(enabled=True, events_url=url), http=http, default_routing_key=None
    )
    missing = await keyless.send_notification(_notification(), PAGERDUTY)
    failed_for_good(missing, "PAGERDUTY_API_KEY")


async def test_an_invalid_event_fails_for_good_with_pagerdutys_errors(
    fake: tuple[FakePagerDuty, str], http: httpx.AsyncClient
) -> None:
    server, url = fake
    bad_key = _pagerduty(url, http, routing_keys={"oncall_service": "too-short-but-32-chars-no"})
    result = await bad_key.send_notification(_notification(), PAGERDUTY)
    failed_for_good(result, "400", "Length of 'routing_key' is incorrect")
    assert server.calls["invalid"] == 1


async def test_429_queues_the_event_and_holds_the_key_for_the_back_off(
    fake: tuple[FakePagerDuty, str], http: httpx.AsyncClient
) -> None:
    server, url = fake
    clock = ManualClock()
    pagerduty = _pagerduty(url, http, clock)
    server.throttle_next = 1
    throttled = await pagerduty.send_notification(_notification(), PAGERDUTY)
    assert not throttled.delivered
    assert throttled.retry_after == 30
    held = await pagerduty.send_notification(_notification(), PAGERDUTY)
    assert held.retry_after == pytest.approx(30)
    assert server.calls["enqueue"] == 1, "no call while PagerDuty asked us to back off"
    clock.advance(30)
    assert (await pagerduty.send_notification(_notification(), PAGERDUTY)).delivered


async def test_server_errors_and_no_connection_are_retried(
    fake: tuple[FakePagerDuty, str], http: httpx.AsyncClient
) -> None:
    server, url = fake
    server.fail_next = 1
    outage = await _pagerduty(url, http).send_notification(_notification(), PAGERDUTY)
    assert not outage.delivered
    assert outage.retry_after is not None
    assert "500" in (outage.error or "")
    closed = f"http://127.0.0.1:{free_port_block(1)}"
    unreachable = await _pagerduty(closed, http).send_notification(_notification(), PAGERDUTY)
    assert not unreachable.delivered
    assert unreachable.retry_after is not None


async def test_past_120_events_a_minute_per_key_events_wait_their_turn(
    fake: tuple[FakePagerDuty, str], http: httpx.AsyncClient
) -> None:
    server, url = fake
    clock = ManualClock()
    pagerduty = _pagerduty(url, http, clock)
    results = [
        await pagerduty.send_notification(_notification(fingerprint=f"fp-{i}"), PAGERDUTY)
        for i in range(121)
    ]
    assert all(r.delivered for r in results[:120])
    queued = results[120]
    assert not queued.delivered
    assert not queued.permanent
    assert queued.retry_after == pytest.approx(0.5)
    assert server.calls["enqueue"] == 120
    other = Target(type="pagerduty", channel=OTHER_KEY)
    assert (await pagerduty.send_notification(_notification(), other)).delivered, "per key"
    clock.advance(0.5)
    assert (
        await pagerduty.send_notification(_notification(fingerprint="fp-120"), PAGERDUTY)
    ).delivered
    assert server.calls["enqueue"] == 122


async def test_a_disabled_integration_says_so(http: httpx.AsyncClient) -> None:
    pagerduty = PagerDutyEvents(PagerDutyIntegration(), http=http, default_routing_key=KEY)
    result = await pagerduty.send_notification(_notification(), PAGERDUTY)
    skipped_quietly(result, "integrations.pagerduty.enabled")
