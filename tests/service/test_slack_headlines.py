"""``notification_templates`` as shipped in ``config/config.yaml``, delivered to a fake Slack
over HTTP: a high-severity problem's card opens with the configured headline (its notification
text too, and still after a redraw), and fixes' outcomes are told with the configured
messages, every value from the error escaped."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from services.notifier.slack import (
    SLACK_SCHEMA,
    HttpSlackApi,
    SlackBotIntegration,
    SlackIntegration,
    SlackSetup,
)
from shared.clock import ManualClock
from shared.config import load_settings
from shared.config.slack import SlackSection
from shared.events import ErrorSummary, FixOutcome, NotificationData, Severity, Target
from shared.storage import open_database
from tests.fakes.slack import FakeSlack, Message

ALERTS = Target(type="slack", channel="#alerts")
EVIL = "<!channel> <@U123> <https://evil|click>"
SAFE_EVIL = "&lt;!channel&gt; &lt;@U123&gt; &lt;https://evil|click&gt;"


def note(kind: str, severity: Severity = Severity.HIGH, **more: Any) -> NotificationData:
    summary = ErrorSummary(
        title="Database connection refused",
        description=f"pool exhausted after 30s {EVIL}",
        severity=severity,
        service="billing",
    )
    return NotificationData(
        fingerprint=f"fp-{severity.value}",
        kind=kind,
        targets=[ALERTS],
        summary=summary,
        actions=["ack", "resolve"],
        attempt_id="att-1",
        **more,
    )


def top(message: Message) -> str:
    return str(message.blocks[0]["text"]["text"])


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def slack(
    tmp_path: Path, slack_url: str, fake_slack: FakeSlack, clock: ManualClock
) -> AsyncIterator[SlackIntegration]:
    database = await open_database(f"sqlite:///{tmp_path / 'slack.db'}", schemas=[SLACK_SCHEMA])
    api = HttpSlackApi(token=fake_slack.token, base_url=f"{slack_url}/api/")
    setup = SlackSetup(
        database=database,
        settings=SlackSection(per_channel_messages_per_second=10),
        clock=clock.time,
        formats=load_settings().notification_templates,  # the shipped config.yaml
    )
    integration = SlackBotIntegration(setup, api=api)
    try:
        yield integration
    finally:
        await api.aclose()
        await database.close()


async def test_a_high_problem_and_its_fixs_outcomes_use_the_configured_formats(
    slack: SlackIntegration, fake_slack: FakeSlack, clock: ManualClock
) -> None:
    assert (await slack.send_notification(note("new_alert"), ALERTS)).delivered
    [root] = fake_slack.roots("C0ALERTS")
    headline = (
        f"⚠️ *HIGH PRIORITY* ⚠️\nDatabase connection refused\npool exhausted after 30s {SAFE_EVIL}"
    )
    assert root.blocks[0]["type"] == "section"
    assert top(root) == headline
    assert root.text == headline  # the notification Slack shows
    assert "*Occurrences:* 1" in str(root.blocks[1])  # the rest of the card is as before

    clock.advance(1)
    worked = FixOutcome(succeeded=True, action="increase_connection_pool", duration_seconds=42.0)
    sent = await slack.send_notification(note("resolution_succeeded", fix=worked), ALERTS)
    assert sent.delivered
    clock.advance(1)
    failed = FixOutcome(succeeded=False, action="restart_service", error=f"pod crashed {EVIL}")
    sent = await slack.send_notification(note("resolution_failed", fix=failed), ALERTS)
    assert sent.delivered
    success, failure = fake_slack.replies("C0ALERTS", root.ts)
    assert (
        top(success)
        == success.text
        == ("✅ *Auto-Resolution Successful*\nincrease_connection_pool\nTime: 42s")
    )
    assert (
        top(failure)
        == failure.text
        == (f"❌ *Auto-Resolution Failed*\npod crashed {SAFE_EVIL}\nNext: Manual review required")
    )
    assert EVIL not in str(fake_slack.requests)  # never sent unescaped

    clock.advance(60)
    await slack.tick(clock.now)  # the card is redrawn in place, headline kept
    assert fake_slack.calls["chat.update"] == 1
    redrawn = fake_slack.message("C0ALERTS", root.ts)
    assert top(redrawn) == headline
    assert "Fix failed" in str(redrawn.blocks)


async def test_a_severity_without_a_format_keeps_the_built_in_card(
    slack: SlackIntegration, fake_slack: FakeSlack
) -> None:
    assert (await slack.send_notification(note("new_alert", Severity.INFO), ALERTS)).delivered
    [root] = fake_slack.roots("C0ALERTS")
    assert root.blocks[0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "Database connection refused", "emoji": False},
    }
    assert root.text.startswith("[info] Database connection refused")
