"""``notification_templates``: the safe placeholder substitution, the section's validation, the
headlines rendered from it (escaped, bounded, absent means unchanged), and the fix outcome the
resolver's events carry to the notification that tells it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from services.notifier.policy_runner import PolicyRunner
from services.notifier.slack.limits import FALLBACK_TEXT, SECTION_TEXT
from services.notifier.slack.message_data import message_data
from services.notifier.slack.rendering import Renderer
from services.notifier.tables import SCHEMA
from services.notifier.translate import fix_outcome
from services.resolver import (
    AutoResolver,
    register_custom_strategy,
)
from services.resolver.registry import unregister_custom_strategy
from shared.clock import ManualClock
from shared.config import load_settings
from shared.config.notification_templates import (
    ALERT_FIELDS,
    FIX_FIELDS,
    NotificationTemplatesSection,
)
from shared.events import (
    ClassifiedErrorData,
    ErrorSummary,
    FixOutcome,
    Notification,
    NotificationData,
    Resolution,
    ResolutionData,
    Severity,
    Target,
)
from shared.kafka.producer import Output
from shared.placeholders import fill, unknown_placeholders
from shared.storage import Database
from tests.resolver_helpers import FixedOutcome, classified_body

RULES = Path(__file__).resolve().parents[2] / "config" / "escalation_rules.yaml"
EVIL = "<!channel> <@U123> <https://evil|click> & @here"

FORMATS = NotificationTemplatesSection.model_validate(
    {
        "alert_formats": {"slack": {"high": "*HIGH* {title} ({count}) {service}\n{description}"}},
        "resolution_formats": {
            "success": "OK {action} in {duration}s",
            "failure": "FAILED {action}: {error}",
        },
    }
)


def note(kind: str = "new_alert", **changes: Any) -> NotificationData:
    summary = ErrorSummary(
        title=changes.pop("title", "Queue backlog"),
        description=changes.pop("description", None),
        severity=changes.pop("severity", Severity.HIGH),
        service="billing",
        count=1200,
    )
    return NotificationData(
        fingerprint="fp-1",
        kind=kind,
        targets=[Target(type="slack", channel="#alerts")],
        summary=summary,
        **changes,
    )


def test_fill_replaces_named_fields_only() -> None:
    text = "{title} {{title}} {0.__class__} {title.__class__} {title!r} {count:>9} %s %(title)s {x"
    assert fill(text, {"title": "T", "count": "3"}) == (
        "T {title} {0.__class__} {title.__class__} {title!r} {count:>9} %s %(title)s {x"
    )
    # one pass: a value holding a placeholder is shown as it is
    assert fill("{title}|{error}", {"title": "{error}", "error": "E"}) == "{error}|E"
    assert fill("{nope}", {"title": "T"}) == "{nope}"


def test_unknown_placeholders_are_named_as_written() -> None:
    text = "{title} {titel} {0.__class__} {{not_one}} {titel} {title!r}"
    assert unknown_placeholders(text, ALERT_FIELDS) == ["{titel}", "{0.__class__}", "{title!r}"]
    assert unknown_placeholders("{action} {duration} {error}", FIX_FIELDS) == []


@pytest.mark.parametrize(
    ("given", "where", "bad"),
    [
        (
            {"alert_formats": {"slack": {"high": "{titel}"}}},
            ("alert_formats", "slack", "high"),
            "{titel}",
        ),
        (
            {"resolution_formats": {"failure": "{error.__class__}"}},
            ("resolution_formats", "failure"),
            "{error.__class__}",
        ),
    ],
)
def test_an_unknown_placeholder_is_an_error_naming_the_allowed_fields(
    given: dict[str, Any], where: tuple[str, ...], bad: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        NotificationTemplatesSection.model_validate(given)
    [error] = caught.value.errors(include_url=False)
    assert error["loc"] == where
    assert f"unknown placeholder {bad}; allowed: " in error["msg"]
    assert "{title}" in error["msg"]


def test_an_unknown_severity_or_key_is_an_error() -> None:
    with pytest.raises(ValidationError, match="urgent"):
        NotificationTemplatesSection.model_validate({"alert_formats": {"slack": {"urgent": "x"}}})
    with pytest.raises(ValidationError, match="Extra inputs"):
        NotificationTemplatesSection.model_validate({"resolution_formats": {"partial": "x"}})


def test_the_alert_headline_escapes_and_bounds_what_comes_from_the_error() -> None:
    renderer = Renderer(formats=FORMATS)
    data = message_data(note(title=EVIL, description="x" * 5000), root=None)
    blocks, text = renderer.card(data)
    top = blocks[0]["text"]["text"]
    assert blocks[0]["type"] == "section"
    assert top.startswith("*HIGH* &lt;!channel&gt; &lt;@U123&gt; &lt;https://evil|click&gt; &amp;")
    assert "(1,200) billing\nxxx" in top
    assert "<!channel>" not in json.dumps(blocks) + text
    assert len(top) <= SECTION_TEXT
    assert "characters cut" in top  # the description is cut in the middle, visibly
    assert text == top[:FALLBACK_TEXT]


def test_the_fix_outcome_message_uses_its_format() -> None:
    renderer = Renderer(formats=FORMATS)
    worked = FixOutcome(succeeded=True, action="flush_cache", duration_seconds=61.04)
    blocks, text = renderer.reply(
        "resolution_succeeded", message_data(note("resolution_succeeded", fix=worked), root=None)
    )
    assert text == blocks[0]["text"]["text"] == "OK flush_cache in 61s"
    failed = FixOutcome(succeeded=False, action="restart", error=EVIL)
    _, text = renderer.reply(
        "resolution_failed", message_data(note("resolution_failed", fix=failed), root=None)
    )
    assert text.startswith("FAILED restart: &lt;!channel&gt; &lt;@U123&gt;")


def test_without_a_format_the_built_in_messages_stay() -> None:
    worked = FixOutcome(succeeded=True, action="flush_cache", duration_seconds=3)
    alert = message_data(note(), root=None)
    fixed = message_data(note("resolution_succeeded", fix=worked, text="errors stopped"), root=None)
    blocks, text = Renderer().card(alert)
    assert blocks[0]["type"] == "header"
    assert text == "[high] Queue backlog (1,200 occurrences): Open"
    blocks, text = Renderer().reply("resolution_succeeded", fixed)
    assert blocks[0]["text"]["text"] == ":white_check_mark: *Fix succeeded*\nerrors stopped"
    assert text == "[high] Queue backlog: resolution succeeded"
    low = message_data(note(severity=Severity.LOW), root=None)
    assert Renderer(formats=FORMATS).card(low) == Renderer().card(low)
    only_failure = NotificationTemplatesSection.model_validate(
        {"resolution_formats": {"failure": "FAILED"}}
    )
    assert Renderer(formats=only_failure).reply("resolution_succeeded", fixed) == (
        Renderer().reply("resolution_succeeded", fixed)
    )


@dataclass
class Recorder:
    notifications: list[NotificationData] = field(default_factory=list)

    async def publish_many(self, outputs: Sequence[Output]) -> None:
        self.notifications += [o.event.data for o in outputs if isinstance(o.event, Notification)]


def _resolution(status: str, attempt: str, **changes: Any) -> Resolution:
    return Resolution(
        source="/test",
        subject="fp-1",
        correlationid="corr-1",
        data=ResolutionData(
            fingerprint="fp-1",
            status=status,
            attempt_id=attempt,
            strategy="flush_cache",
            reason="errors still at 40/min" if status == "failed" else f"{status} now",
            summary=ErrorSummary(
                title="Database connection refused",
                severity=Severity.CRITICAL,
                environment="production",
            ),
            **changes,
        ),
    )


async def test_the_fix_outcome_rides_on_the_notification_that_tells_it(tmp_path: Path) -> None:
    assert fix_outcome(_resolution("executing", "a").data) is None
    database = Database(f"sqlite:///{tmp_path / 'notifier.db'}", schemas=[SCHEMA])
    await database.migrate()
    recorder = Recorder()
    runner = PolicyRunner(
        database=database, publisher=recorder, rules_path=RULES, roles={}, clock=ManualClock()
    )
    try:
        await runner.on_resolution(_resolution("executing", "att-1"))
        await runner.on_resolution(_resolution("failed", "att-1", duration_seconds=12.5))
        await runner.on_resolution(_resolution("executing", "att-2"))
        await runner.on_resolution(_resolution("succeeded", "att-2", duration_seconds=300))
    finally:
        await database.close()
    told = {n.kind: n.fix for n in recorder.notifications if "slack" in {t.type for t in n.targets}}
    assert told["new_alert"] is None
    assert told["resolution_failed"] == FixOutcome(
        succeeded=False, action="flush_cache", duration_seconds=12.5, error="errors still at 40/min"
    )
    # with the shipped rules a fix's success closes the alert: the close tells the outcome
    assert told["resolved"] == FixOutcome(
        succeeded=True, action="flush_cache", duration_seconds=300, error=""
    )


async def test_the_resolver_says_how_long_a_fix_took_and_what_the_error_said(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(
        "ALERTORCH_AUTO_RESOLUTION__STRATEGIES",
        json.dumps({"increase_connection_pool": {"executor": "test_flush", "verify_minutes": 1}}),
    )
    body = classified_body()["data"]
    body["resolution_strategy"] = "increase_connection_pool"
    body["error"]["message"] = "could not connect to server: Connection refused (10.0.0.7:5432)"
    register_custom_strategy(FixedOutcome("test_flush", "Flush", success=True, message="flushed"))
    clock = ManualClock()
    resolver = AutoResolver(load_settings(), clock=clock)
    try:
        assert await resolver.resolve_error(ClassifiedErrorData.model_validate(body)) == [
            "auto_resolving",
            "executing",
            "verifying",
        ]
        clock.advance(61)
        await resolver.check_timers()
        [done] = [
            e.data
            for _, e in resolver.events.published
            if isinstance(e, Resolution) and e.data.status == "succeeded"
        ]
        assert done.duration_seconds == pytest.approx(61, abs=1)
        assert done.summary.description == body["error"]["message"]
    finally:
        await resolver.close()
        unregister_custom_strategy("test_flush")
