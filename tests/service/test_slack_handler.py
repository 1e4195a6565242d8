"""The seed's SlackHandler, built from settings and environment as a user would: send_alert(),
send_escalation() and handle_interaction() against the fake Slack over HTTP."""

from __future__ import annotations

import asyncio
import json
import time
from urllib.parse import urlencode

import pytest

from services.notifier.slack import SLACK_SCHEMA, SlackHandler, slack_store_url
from shared.config import load_settings
from shared.events import Command, ErrorSummary, NotificationData, Severity, Target
from shared.storage import open_database
from tests.fakes.slack import WEBHOOK_PATH, FakeSlack, sign

SECRET = "handler-secret"


def alert(kind: str = "new_alert") -> NotificationData:
    return NotificationData(
        fingerprint="fp-handler",
        kind=kind,
        targets=[Target(type="slack")],
        summary=ErrorSummary(title="Queue backlog", severity=Severity.HIGH),
        actions=["ack", "resolve"],
    )


async def test_handler_from_settings_sends_and_handles_presses(
    monkeypatch: pytest.MonkeyPatch, slack_url: str, fake_slack: FakeSlack
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", fake_slack.token)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SECRET)
    monkeypatch.setenv("ALERTORCH_SLACK__API_URL", f"{slack_url}/api/")
    monkeypatch.setenv("ALERTORCH_SLACK__PER_CHANNEL_MESSAGES_PER_SECOND", "10")
    monkeypatch.setenv("ALERTORCH_SLACK__AUTHORIZED_USERS", '["U222"]')  # may resolve
    settings = load_settings()
    database = await open_database(slack_store_url(settings), schemas=[SLACK_SCHEMA])
    published: list[Command] = []

    async def publish(command: Command) -> None:
        published.append(command)

    handler = SlackHandler.from_settings(settings, database, publish_command=publish)
    try:
        sent = await handler.send_alert(alert())  # no channel: slack.notification_channels.alerts
        assert sent.delivered
        [root] = fake_slack.roots("C0ALERTS")
        await asyncio.sleep(0.11)
        escalated = await handler.send_escalation(alert(), "#alerts", mentions=["U0LEAD"])
        assert escalated.delivered
        [reply] = fake_slack.replies("C0ALERTS", root.ts)
        assert "<@U0LEAD>" in json.dumps(reply.blocks)

        [actions] = [b for b in root.blocks if b["type"] == "actions"]
        payload = {
            "type": "block_actions",
            "user": {"id": "U222", "username": "bob"},
            "trigger_id": "1.2.3",
            "container": {"type": "message", "message_ts": root.ts, "channel_id": "C0ALERTS"},
            "message": {"ts": root.ts, "blocks": root.blocks},
            "actions": [{**actions["elements"][1], "action_ts": "1.5", "block_id": "b"}],
        }
        body = urlencode({"payload": json.dumps(payload)})
        timestamp = str(int(time.time()))
        headers = {
            "content-type": "application/x-www-form-urlencoded",
            "x-slack-request-timestamp": timestamp,
            "x-slack-signature": sign(SECRET, timestamp, body),
        }
        status, _ = await handler.handle_interaction(body.encode(), headers)
        assert status == 200
        [command] = published
        assert command.data.action == "resolve"
        assert command.data.actor.id == "U222"
        assert "Resolved by <@U222>" in json.dumps(fake_slack.message("C0ALERTS", root.ts).blocks)
        headers["x-slack-signature"] = "v0=" + "0" * 64
        status, _ = await handler.handle_interaction(body.encode(), headers)
        assert status == 401
        assert len(published) == 1
    finally:
        await handler.aclose()
        await database.close()


async def test_webhook_only_handler(
    monkeypatch: pytest.MonkeyPatch, slack_url: str, fake_slack: FakeSlack
) -> None:
    monkeypatch.setenv("SLACK_WEBHOOK_URL", f"{slack_url}{WEBHOOK_PATH}")
    settings = load_settings()
    database = await open_database(slack_store_url(settings), schemas=[SLACK_SCHEMA])
    handler = SlackHandler.from_settings(settings, database)
    try:
        assert (await handler.send_alert(alert())).delivered
        [post] = fake_slack.webhook_posts
        assert not [b for b in post["blocks"] if b["type"] == "actions"]
        assert fake_slack.calls["chat.postMessage"] == 0
    finally:
        await handler.aclose()
        await database.close()
