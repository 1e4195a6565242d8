"""``commands``: what people asked for, from Slack buttons, the console or the API."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from shared.events.common import Actor
from shared.events.envelope import Envelope
from shared.models import FrozenModel

CommandAction = Literal[
    "ack",
    "approve",
    "reject",
    "rollback",
    "snooze",
    "escalate",
    "resolve",
    "retry",
    "create_issue",
]


class CommandData(FrozenModel):
    fingerprint: str = Field(min_length=1, max_length=256)
    action: CommandAction
    actor: Actor
    attempt_id: str | None = None
    snooze_seconds: int | None = Field(default=None, gt=0, le=30 * 24 * 3600)
    reason: str | None = Field(default=None, max_length=4096)


class Command(Envelope):
    """Event on ``commands``, keyed by fingerprint."""

    event_type: ClassVar[str] = "io.alertorch.command"
    type: Literal["io.alertorch.command"] = "io.alertorch.command"
    schemaversion: Literal[1] = 1
    data: CommandData
