"""The buttons on our messages: what each says, what its value carries, and reading it back.

A button's ``action_id`` is the command's action (``ack``, ``approve``, ...). Its ``value`` is a
small JSON object with the fingerprint (``f``) and the attempt id (``a``), never the alert; on
an incident's card, Acknowledge all also names the incident (``i``): every problem the card
shows is acknowledged.
Snooze is a static select (``action_id`` ``snooze``) offering 15 minutes, 1 hour and 1 day: each
option's value is the length in seconds; the fingerprint comes from our record of the message
(option values are limited to 150 characters, fingerprints may be longer).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Final

from shared.events import ButtonAction

LABELS: Final[dict[ButtonAction, str]] = {
    "ack": "Acknowledge",
    "approve": "Approve fix",
    "reject": "Reject",
    "rollback": "Roll back",
    "snooze": "Snooze",
    "silence": "Silence 1h",
    "escalate": "Escalate",
    "resolve": "Resolve",
    "create_issue": "Create issue",
}
STYLES: Final[dict[ButtonAction, str]] = {"approve": "primary", "rollback": "danger"}
#: Confirmation dialogs before actions that change systems.
CONFIRM: Final[dict[ButtonAction, str]] = {
    "approve": "Run the proposed fix?",
    "rollback": "Roll back the applied fix?",
}
#: Snooze choices: label and seconds.
SNOOZE_CHOICES: Final[tuple[tuple[str, int], ...]] = (
    ("15 minutes", 15 * 60),
    ("1 hour", 3600),
    ("1 day", 24 * 3600),
)
ACTIONS_BLOCK_ID = "alertorch_actions"


@dataclass(frozen=True, slots=True)
class ButtonValue:
    fingerprint: str
    attempt_id: str | None = None
    #: For every problem of this incident on the pressed card.
    incident: str | None = None

    def encode(self) -> str:
        body: dict[str, str] = {"f": self.fingerprint}
        if self.attempt_id:
            body["a"] = self.attempt_id
        if self.incident:
            body["i"] = self.incident
        return json.dumps(body, separators=(",", ":"))

    @classmethod
    def decode(cls, value: str) -> ButtonValue | None:
        """The value of one of our buttons, or ``None`` for anything else: also for a value
        whose JSON escapes hold text UTF-8 cannot encode (``"\\ud800"``, a lone surrogate no
        command could carry onto the broker)."""
        try:
            body = json.loads(value)
            json.dumps(body, ensure_ascii=False).encode()
        except (ValueError, RecursionError):  # RecursionError: nested deeper than Python's stack
            return None  # UnicodeEncodeError is a ValueError
        if not isinstance(body, dict) or not isinstance(body.get("f"), str) or not body["f"]:
            return None
        attempt, incident = body.get("a"), body.get("i")
        return cls(
            body["f"],
            attempt if isinstance(attempt, str) and attempt else None,
            incident if isinstance(incident, str) and incident else None,
        )


def _button(action: ButtonAction, value: ButtonValue) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "action_id": action,
        "text": {"type": "plain_text", "text": LABELS[action], "emoji": True},
        "value": value.encode(),
    }
    if action in STYLES:
        button["style"] = STYLES[action]
    if action in CONFIRM:
        button["confirm"] = {
            "title": {"type": "plain_text", "text": LABELS[action]},
            "text": {"type": "plain_text", "text": CONFIRM[action]},
            "confirm": {"type": "plain_text", "text": LABELS[action]},
            "deny": {"type": "plain_text", "text": "Cancel"},
        }
    return button


def ack_button(fingerprint: str, attempt_id: str | None) -> dict[str, Any]:
    """The Acknowledge button of one problem (on an incident's card, beside its line)."""
    return _button("ack", ButtonValue(fingerprint, attempt_id))


def ack_all_button(fingerprint: str, incident: str) -> dict[str, Any]:
    """Acknowledge all: every problem an incident's card shows (``fingerprint``: its first)."""
    button = _button("ack", ButtonValue(fingerprint, incident=incident))
    button["text"]["text"] = "Acknowledge all"
    return button


def _snooze_select() -> dict[str, Any]:
    return {
        "type": "static_select",
        "action_id": "snooze",
        "placeholder": {"type": "plain_text", "text": "Snooze…"},
        "options": [
            {"text": {"type": "plain_text", "text": label}, "value": str(seconds)}
            for label, seconds in SNOOZE_CHOICES
        ],
    }


def actions_block(
    actions: list[ButtonAction], fingerprint: str, attempt_id: str | None
) -> dict[str, Any] | None:
    """One ``actions`` block with the requested buttons, each once, or ``None`` for none."""
    value = ButtonValue(fingerprint, attempt_id)
    elements = [
        _snooze_select() if action == "snooze" else _button(action, value)
        for action in dict.fromkeys(actions)
    ]
    if not elements:
        return None
    return {"type": "actions", "block_id": ACTIONS_BLOCK_ID, "elements": elements}


def link_button(action_id: str, label: str, url: str) -> dict[str, Any]:
    """A button that opens ``url`` (Slack still tells the app it was pressed: nothing is done)."""
    return {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": label[:75], "emoji": True},
        "url": url[:3000],
    }


def snooze_seconds(value: str | None) -> int | None:
    """The snooze length an option value names, if it is one we offer."""
    allowed = {seconds for _, seconds in SNOOZE_CHOICES}
    try:
        seconds = int(value or "")
    except ValueError:
        return None
    return seconds if seconds in allowed else None
