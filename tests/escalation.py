"""What the escalation policy's tests share: the time their hand-moved clock starts at, a
policy of four plain levels, a person's command as the policy takes it, and the notifications
among the policy's decisions."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import yaml

from services.notifier.policy import CommandInput, Decision, EscalationPolicy, Notify
from shared.events import Actor, CommandData

T0 = datetime(2025, 7, 1, 12, 0, tzinfo=UTC)  # a Tuesday, in business hours
MIN = timedelta(minutes=1)

_ids = itertools.count()


def four_levels(timeout_minutes: int, extra: str = "") -> EscalationPolicy:
    """Levels 0 to 3 (``a`` to ``d``), each ``timeout_minutes`` long and posting to its Slack
    channel (``#a`` to ``#d``); ``extra`` (YAML) adds the rest of the policy."""
    levels = "".join(
        f"  level_{n}: {{name: {name}, timeout_minutes: {timeout_minutes}, "
        f'actions: [{{type: slack_notification, channels: ["#{name}"]}}]}}\n'
        for n, name in enumerate("abcd")
    )
    return EscalationPolicy.model_validate(yaml.safe_load(f"escalation_levels:\n{levels}{extra}"))


def command(
    action: str, fingerprint: str = "fp", roles: frozenset[str] = frozenset(), **fields: Any
) -> CommandInput:
    """Ana's command (from Slack) to ``action`` problem ``fingerprint``, with ``roles``;
    ``fields`` add to the command's data."""
    actor = Actor(kind="user", id="U1", name="ana", via="slack")
    data = CommandData.model_validate(
        {"fingerprint": fingerprint, "action": action, "actor": actor, **fields}
    )
    return CommandInput(f"c{next(_ids)}", data, roles)


def notifies(decisions: Iterable[Decision]) -> list[Notify]:
    """The notifications among ``decisions``, in order."""
    return [d for d in decisions if isinstance(d, Notify)]
