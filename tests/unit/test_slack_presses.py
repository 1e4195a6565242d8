"""Reading Slack's block_actions payloads into commands, and the per-channel send budget."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from services.notifier.slack.buttons import ButtonValue
from services.notifier.slack.presses import command, presses
from services.notifier.slack.ratelimit import ChannelLimiter
from shared.config.slack import SlackSection
from shared.slack.permissions import Permissions

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "slack"


def payload(action_id: str = "ack", value: str | None = None, **action: Any) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(
        (FIXTURES / "slack_block_actions_button_with_message.bolt-python.json").read_text()
    )
    body["user"] = {"id": "U111", "username": "alice", "name": "alice", "team_id": "T0G9PQBBK"}
    body["actions"][0].update({"action_id": action_id, **action})
    if value is not None:
        body["actions"][0]["value"] = value
    return body


def test_a_button_press_becomes_a_command_with_the_slack_user_as_actor() -> None:
    [press] = presses(payload("ack", ButtonValue("fp-1", "att-1").encode()))
    assert press.channel_id == "C111"
    assert press.message_ts == "1678252213.679169"
    cmd = command(press, "fp-1", "att-1")
    assert cmd.subject == "fp-1"
    assert cmd.source == "/alertorch/notifier/slack"
    assert cmd.data.action == "ack"
    assert cmd.data.attempt_id == "att-1"
    assert cmd.data.actor.model_dump() == {
        "kind": "user",
        "id": "U111",
        "name": "alice",
        "via": "slack",
    }
    again = command(presses(payload("ack", ButtonValue("fp-1", "att-1").encode()))[0], "fp-1", None)
    assert again.id == cmd.id  # a redelivered payload publishes the same command id


def test_snooze_choice_carries_its_length() -> None:
    body = payload(
        "snooze",
        type="static_select",
        selected_option={"text": {"type": "plain_text", "text": "1 day"}, "value": "86400"},
    )
    del body["actions"][0]["value"]
    [press] = presses(body)
    assert press.snooze_seconds == 86400
    assert press.value is None
    assert press.done_text() == "Snoozed for 1 d by <@U111>"
    assert command(press, "fp", None).data.snooze_seconds == 86400
    body["actions"][0]["selected_option"]["value"] = "999999"
    assert presses(body) == []  # not a length we offer


def test_foreign_actions_and_other_payloads_are_ignored() -> None:
    assert presses(payload("button")) == []  # the fixture's own button
    assert presses({"type": "view_submission"}) == []
    assert presses({"type": "block_actions", "user": {}, "actions": []}) == []


def test_fields_of_another_shape_than_slacks_count_as_absent() -> None:
    ours = ButtonValue("fp-1").encode()
    assert presses({**payload("ack", ours), "user": "U111"}) == []  # no user id
    assert presses({**payload("ack", ours), "actions": 5}) == []
    [press] = presses({**payload("ack", ours), "container": [1], "message": "x"})
    assert (press.channel_id, press.message_ts, press.blocks) == ("C111", None, None)
    assert presses(payload("snooze", type="static_select", selected_option="3600")) == []
    [deep] = presses({**payload("ack", "[" * 100_000), "message": {"blocks": [1, "x"]}})
    assert (deep.value, deep.blocks) == (None, None)  # too deep to be ours; blocks unreadable


def test_default_permissions_and_user_groups() -> None:
    defaults = SlackSection().action_permissions
    rules = Permissions.of(SlackSection(authorized_users=["U999"]))
    assert rules.per_action == {action: frozenset(who) for action, who in defaults.items()}
    for action in ("approve", "rollback", "reject", "resolve"):
        [press] = presses(payload(action, ButtonValue("fp").encode()))
        assert not rules.allows(press.user_id, press.action)
        assert rules.allows("U999", press.action)
    for action in ("ack", "snooze", "escalate", "create_issue"):
        [press] = presses(payload(action, ButtonValue("fp").encode()))
        assert rules.allows(press.user_id, press.action)
    grouped = Permissions(everything=frozenset(), per_action={"resolve": frozenset({"S0OPS"})})
    [press] = presses(payload("resolve", ButtonValue("fp").encode()))
    assert grouped.groups("resolve") == {"S0OPS"}
    assert not grouped.allows(press.user_id, press.action, {"S0OPS": frozenset({"U222"})})
    assert grouped.allows(press.user_id, press.action, {"S0OPS": frozenset({"U111", "U222"})})


def test_channel_limiter_spaces_sends_and_caps_the_hour() -> None:
    limiter = ChannelLimiter(per_second=1.0, per_hour=3)
    assert limiter.take("#a", 100.0) == 0
    assert 0.79 < limiter.take("#a", 100.2) <= 0.8
    assert limiter.take("#b", 100.2) == 0  # another channel is not held back
    assert limiter.take("#a", 101.0) == 0
    assert limiter.take("#a", 102.0) == 0
    assert limiter.take("#a", 103.0) == 3600 - 3  # three sent this hour: wait for the first to age
    limiter.hold("#b", 200.0)
    assert limiter.wait("#b", 150.0) == 50.0
    limiter.forget_idle(10_000.0)
    assert limiter.wait("#a", 10_000.0) == 0


def test_a_send_slack_refused_does_not_count_against_the_hour() -> None:
    limiter = ChannelLimiter(per_second=10.0, per_hour=2)
    for at in (100.0, 101.0, 102.0):
        assert limiter.take("#a", at) == 0
        limiter.refund("#a", at)  # Slack answered 500: nothing was posted
    assert limiter.take("#a", 103.0) == 0
    assert limiter.take("#a", 104.0) == 0
    assert limiter.take("#a", 105.0) == 3600 - 2  # two posted this hour


def test_a_button_value_with_a_lone_surrogate_is_not_one_of_ours() -> None:
    # Escaped in the value's JSON, the surrogate passes the body's own check; no command on the
    # broker could carry it, so the press is not read (the fuzz test saw a 503 for it).
    assert ButtonValue.decode('{"f": "fp212-", "a": "\\ud800"}') is None
    assert ButtonValue.decode('{"f": "fp212-", "a": "\\u00e9"}') == ButtonValue("fp212-", "é")
