"""Slack templates: escaping of untrusted text, Slack's block limits, buttons, custom templates."""

from __future__ import annotations

import json
from typing import Any, get_args

import pytest

from services.notifier.slack import (
    SlackBlockTemplate,
    register_custom_template,
    unregister_custom_template,
)
from services.notifier.slack.buttons import ButtonValue, snooze_seconds
from services.notifier.slack.defaults import DEFAULTS
from services.notifier.slack.limits import fit_blocks
from services.notifier.slack.message_data import message_data
from services.notifier.slack.rendering import Renderer
from services.notifier.slack.text import cut, escape, mentions
from shared.events import (
    ButtonAction,
    CommandAction,
    ErrorSummary,
    NotificationData,
    Severity,
    Target,
)
from tests.fakes.slack import texts

EVIL = "<!channel> <@U123> <https://evil|click> & @here"


def notification(**changes: Any) -> NotificationData:
    base: dict[str, Any] = {
        "fingerprint": "fp-1",
        "kind": "new_alert",
        "targets": [Target(type="slack", channel="#alerts")],
        "summary": ErrorSummary(title="Database down", severity=Severity.CRITICAL),
        "actions": ["ack", "snooze", "escalate", "resolve"],
        "attempt_id": "att-1",
    }
    base.update(changes)
    return NotificationData(**base)


def test_escape_makes_mentions_and_links_harmless() -> None:
    escaped = escape(EVIL)
    assert "<" not in escaped
    assert ">" not in escaped
    assert escaped.startswith("&lt;!channel&gt; &lt;@U123&gt; &lt;https://evil|click&gt; &amp;")
    assert "@here" not in escaped  # broken by a word joiner
    assert escape("a\x00b\x1bc") == "abc"


def test_cut_never_leaves_half_an_entity_or_link() -> None:
    assert cut("abc", 3) == "abc"
    assert cut("abcdef", 4) == "abc…"
    assert cut("ab &amp; cd", 6) == "ab …"
    assert cut("see <@U123>", 8) == "see …"
    assert len(cut("x" * 5000, 3000)) == 3000


@pytest.mark.parametrize("kind", sorted(set(DEFAULTS) - {"incident"}))  # its own: below
def test_every_default_template_escapes_untrusted_text(kind: str) -> None:
    summary = ErrorSummary(
        title=EVIL,
        severity=Severity.HIGH,
        service="<!everyone>",
        environment="prod>",
        url="https://sentry.example/issues/1|<!channel>",
    )
    data = message_data(notification(kind=kind, summary=summary, text=EVIL), root=None)
    blocks, fallback = Renderer().reply(kind, data)
    for text in [*texts(blocks), fallback]:
        assert not any(bad in text for bad in ("<!", "<@", "<http")), text
        assert "@channel" not in text
        assert "@here" not in text
        assert "@everyone" not in text


def test_card_shows_title_count_status_and_buttons() -> None:
    n = notification(summary=ErrorSummary(title="DB", severity=Severity.HIGH, count=10_000))
    blocks, fallback = Renderer().card(message_data(n, root=None))
    assert blocks[0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "DB", "emoji": False},
    }
    assert "10,000" in " ".join(texts(blocks))
    assert "10,000" in fallback
    actions = [b for b in blocks if b["type"] == "actions"]
    assert len(actions) == 1
    elements = actions[0]["elements"]
    assert [e["action_id"] for e in elements] == ["ack", "snooze", "escalate", "resolve"]
    ack = elements[0]
    assert json.loads(ack["value"]) == {"f": "fp-1", "a": "att-1"}
    snooze = elements[1]
    assert snooze["type"] == "static_select"
    assert [o["value"] for o in snooze["options"]] == ["900", "3600", "86400"]


def test_all_buttons_carry_ids_only() -> None:
    # every button that asks for a command, in the order commands list them
    every = [action for action in get_args(CommandAction) if action in get_args(ButtonAction)]
    n = notification(kind="approval_request", actions=every, text="x" * 8000)
    blocks, _ = Renderer().reply("approval_request", message_data(n, root=None))
    elements = next(b for b in blocks if b["type"] == "actions")["elements"]
    assert [e["action_id"] for e in elements] == every
    for element in elements:
        if element["type"] == "button":
            assert ButtonValue.decode(element["value"]) == ButtonValue("fp-1", "att-1")
    approve, rollback = elements[every.index("approve")], elements[every.index("rollback")]
    assert approve["style"] == "primary"
    assert "confirm" in approve
    assert rollback["style"] == "danger"
    assert "confirm" in rollback


def test_long_text_is_cut_to_block_limits() -> None:
    summary = ErrorSummary(title="T" * 1000, severity=Severity.LOW, service="s" * 5000)
    n = notification(summary=summary, text="<" * 8192)
    for kind in set(DEFAULTS) - {"incident"}:  # the incident card: its own tests
        blocks, fallback = Renderer().reply(kind, message_data(n, root=None))
        assert len(fallback) <= 3000
        for block in blocks:
            if block["type"] == "header":
                assert len(block["text"]["text"]) <= 150
            if block["type"] == "section" and "text" in block:
                assert len(block["text"]["text"]) <= 3000
            for field in block.get("fields", []):
                assert len(field["text"]) <= 2000


def test_fit_blocks_keeps_fifty_blocks_and_the_buttons() -> None:
    many = [{"type": "section", "text": {"type": "mrkdwn", "text": str(i)}} for i in range(80)]
    buttons = {"type": "actions", "elements": [{"type": "button", "value": "v" * 3000}]}
    fitted = fit_blocks([*many, buttons])
    assert len(fitted) == 50
    assert fitted[-1]["type"] == "actions"
    assert len(fitted[-1]["elements"][0]["value"]) == 2000
    assert "32 more blocks left out" in fitted[-2]["elements"][0]["text"]


def test_custom_template_replaces_a_kind_and_gets_escaped_values() -> None:
    def custom_alert_blocks(data: dict[str, Any]) -> list[dict[str, Any]]:
        return [
            {"type": "header", "text": {"type": "plain_text", "text": f"Custom: {data['title']}"}},
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": f"*Details:* {data['description']}"},
            },
        ]

    register_custom_template(SlackBlockTemplate("custom_alert", custom_alert_blocks))
    try:
        renderer = Renderer(templates={"new_alert": "custom_alert"})
        n = notification(summary=ErrorSummary(title=EVIL, severity=Severity.HIGH), text=EVIL)
        blocks, _ = renderer.card(message_data(n, root=None))
        assert blocks[0]["text"]["text"].startswith("Custom: &lt;!channel&gt;")
        assert "&lt;@U123&gt;" in blocks[1]["text"]["text"]
        assert blocks[-1]["type"] == "actions"  # buttons added to a template without them
    finally:
        unregister_custom_template("custom_alert")


def test_a_failing_custom_template_falls_back_to_the_default() -> None:
    def broken(_data: dict[str, Any]) -> list[dict[str, Any]]:
        raise KeyError("nope")

    register_custom_template(SlackBlockTemplate("resolved", broken))
    try:
        blocks, _ = Renderer().reply(
            "resolved", message_data(notification(kind="resolved"), root=None)
        )
        assert "Resolved" in blocks[0]["text"]["text"]
    finally:
        unregister_custom_template("resolved")


def test_no_buttons_when_disabled() -> None:
    blocks, _ = Renderer(buttons=False).card(message_data(notification(), root=None))
    assert not [b for b in blocks if b["type"] == "actions"]


def test_mentions_are_rendered_from_configuration_only() -> None:
    groups = {"oncall": ["S0ONCALL", "U0LEAD"]}
    assert mentions(["oncall", "U0ME", "@here", "management"], groups) == (
        "<!subteam^S0ONCALL> <@U0LEAD> <@U0ME> <!here> @management"
    )
    assert mentions(["<!channel>", "<@U0X>", "<!subteam^S0Y|@team>"]) == (
        "<!channel> <@U0X> <!subteam^S0Y>"
    )
    assert mentions(["bob<x>y"]) == "@bob&lt;x&gt;y"


def test_snooze_choices() -> None:
    assert snooze_seconds("900") == 900
    assert snooze_seconds("86400") == 86400
    assert snooze_seconds("60") is None
    assert snooze_seconds("x") is None
    assert ButtonValue.decode("clicked") is None
    assert ButtonValue.decode('{"f": "fp"}') == ButtonValue("fp", None)


def test_every_card_links_to_its_timeline_in_the_console_and_to_its_sentry_issue() -> None:
    summary = ErrorSummary(
        title="Database down",
        severity=Severity.HIGH,
        url="https://sentry.example/organizations/acme/issues/42/?q=a b|<!channel>",
    )
    data = message_data(notification(fingerprint="fp/1 x", summary=summary), root=None)
    blocks, _ = Renderer(console_url="https://alerts.example.com/").card(data)
    [actions] = [b for b in blocks if b["type"] == "actions"]
    links = {e["action_id"]: e for e in actions["elements"] if "url" in e}
    assert links["investigate"]["url"] == "https://alerts.example.com/ui/alerts/fp%2F1%20x"
    assert links["investigate"]["text"]["text"] == "Investigate"
    assert links["open_source"]["text"]["text"] == "Sentry issue"
    assert links["open_source"]["url"] == (
        "https://sentry.example/organizations/acme/issues/42/?q=a%20b%7C%3C!channel%3E"
    )
    assert [e["action_id"] for e in actions["elements"]][:1] == ["ack"]  # buttons first
    # without the console's address, and with no source address: no link at all
    plain = message_data(notification(), root=None)
    bare, _ = Renderer().card(plain)
    assert not [e for b in bare if b["type"] == "actions" for e in b["elements"] if "url" in e]
    # webhook mode has no interactive buttons, but the links still work there
    only_links, _ = Renderer(buttons=False, console_url="https://alerts.example.com").card(plain)
    [block] = [b for b in only_links if b["type"] == "actions"]
    assert [e["action_id"] for e in block["elements"]] == ["investigate"]
