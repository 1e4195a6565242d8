"""Reading a ``block_actions`` payload (a button press or a snooze choice) and turning it into a
:class:`~shared.events.Command`. Pure: no I/O.

The command's id derives from Slack's ``trigger_id``, ``action_id`` and ``action_ts``, so a
payload Slack delivers twice publishes the same command id (consumers deduplicate by id).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final, get_args

from services.notifier.slack.buttons import ButtonValue, snooze_seconds
from shared.events import (
    Actor,
    ButtonAction,
    Command,
    CommandData,
    Matchers,
    Silence,
    SilenceData,
    derived_event_id,
)

SOURCE = "/alertorch/notifier/slack"
ACTIONS: Final[frozenset[str]] = frozenset(get_args(ButtonAction))
DONE: Final[dict[str, str]] = {
    "ack": "Acknowledged",
    "approve": "Approved",
    "reject": "Rejected",
    "rollback": "Rollback requested",
    "snooze": "Snoozed",
    "silence": "Silenced for 1 h",
    "escalate": "Escalated",
    "resolve": "Resolved",
    "create_issue": "Issue requested",
}


@dataclass(frozen=True, slots=True)
class Press:
    """One of our actions pressed by one user on one message."""

    action: ButtonAction
    user_id: str
    user_name: str | None
    channel_id: str | None
    message_ts: str | None
    value: ButtonValue | None
    snooze_seconds: int | None
    trigger_id: str
    action_ts: str
    blocks: list[dict[str, Any]] | None

    def done_text(self) -> str:
        """What the message says after the press, e.g. ``Snoozed 1 hour by <@U1>``."""
        what = DONE[self.action]
        if self.snooze_seconds:
            what += f" for {_duration(self.snooze_seconds)}"
        return f"{what} by <@{self.user_id}>"


def _duration(seconds: int) -> str:
    if seconds % 86400 == 0:
        return f"{seconds // 86400} d"
    if seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    return f"{seconds // 60} min"


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def presses(payload: dict[str, Any]) -> list[Press]:
    """Our actions in a ``block_actions`` payload (others' actions are left out). Any field of
    another shape than Slack's counts as absent."""
    if payload.get("type") != "block_actions":
        return []
    user = _dict(payload.get("user"))
    container = _dict(payload.get("container"))
    channel = _dict(payload.get("channel"))
    message = _dict(payload.get("message"))
    user_id = _str(user.get("id"))
    actions = payload.get("actions")
    if user_id is None or not isinstance(actions, list):
        return []
    blocks = message.get("blocks")
    if not isinstance(blocks, list) or not all(isinstance(b, dict) for b in blocks):
        blocks = None
    found = []
    for action in actions:
        if not isinstance(action, dict) or action.get("action_id") not in ACTIONS:
            continue
        selected = _dict(action.get("selected_option"))
        seconds = (
            snooze_seconds(_str(selected.get("value"))) if action["action_id"] == "snooze" else None
        )
        if (
            action["action_id"] == "snooze"
            and action.get("type") == "static_select"
            and not seconds
        ):
            continue
        found.append(
            Press(
                action=action["action_id"],
                user_id=user_id,
                user_name=_str(user.get("username")) or _str(user.get("name")),
                channel_id=_str(container.get("channel_id")) or _str(channel.get("id")),
                message_ts=_str(container.get("message_ts")) or _str(message.get("ts")),
                value=ButtonValue.decode(action["value"])
                if isinstance(action.get("value"), str)
                else None,
                snooze_seconds=seconds,
                trigger_id=_str(payload.get("trigger_id")) or "",
                action_ts=_str(action.get("action_ts")) or "",
                blocks=blocks,
            )
        )
    return found


#: How long the Silence button silences a problem (it also ends when the problem resolves).
SILENCE_SECONDS: Final = 3600


def silence(press: Press, fingerprint: str, now: datetime) -> Silence:
    """The silence a press of Silence 1h asks for: this problem, an hour or until it resolves;
    its id derives from the press, so a payload delivered twice makes one silence."""
    event_id = derived_event_id("slack", press.trigger_id, press.action, press.action_ts)
    actor = Actor(kind="user", id=press.user_id, name=press.user_name, via="slack")
    return Silence(
        id=event_id,
        source=SOURCE,
        subject="sil_" + event_id[:12],
        correlationid=event_id,
        data=SilenceData(
            silence_id="sil_" + event_id[:12],
            matchers=Matchers(fingerprint=fingerprint),
            reason=f"silenced for an hour from Slack by {press.user_name or press.user_id}",
            starts_at=now,
            ends_at=now + timedelta(seconds=SILENCE_SECONDS),
            until_resolved=True,
            created_by=actor,
        ),
    )


def command(
    press: Press, fingerprint: str, attempt_id: str | None, *, one_of_many: bool = False
) -> Command:
    """The command a press asks for, with the Slack user as actor; ``one_of_many``: the press
    asks it for several problems (Acknowledge all), each command's id derives from its own."""
    parts = (press.trigger_id, press.action, press.action_ts)
    event_id = derived_event_id("slack", *parts, *((fingerprint,) if one_of_many else ()))
    return Command(
        id=event_id,
        source=SOURCE,
        subject=fingerprint,
        correlationid=event_id,
        data=CommandData(
            fingerprint=fingerprint,
            action=press.action,
            actor=Actor(kind="user", id=press.user_id, name=press.user_name, via="slack"),
            attempt_id=attempt_id,
            snooze_seconds=press.snooze_seconds,
        ),
    )


def acted_blocks(blocks: list[dict[str, Any]], text: str) -> list[dict[str, Any]]:
    """A message's blocks after a press: our buttons gone, who acted said at the end."""
    kept = [b for b in blocks if b.get("type") != "actions"]
    return [*kept, {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}]
