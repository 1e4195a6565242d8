"""Who may take which action on an alert, as Slack configures it: ``slack.authorized_users``
may take every action, ``slack.action_permissions`` names who else may take each one. The
notifier applies it to button presses, the console to the people whose token names their Slack
user, so one person's rights agree in both places."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from shared.config.slack import SlackSection

ANYONE = "*"


@dataclass(frozen=True)
class Permissions:
    """Entries are user ids (``U…``/``W…``), user groups (``S…``) or ``*`` (anyone who sees the
    message)."""

    everything: frozenset[str]
    per_action: Mapping[str, frozenset[str]]

    @classmethod
    def of(cls, settings: SlackSection) -> Permissions:
        return cls(
            everything=frozenset(settings.authorized_users),
            per_action={a: frozenset(who) for a, who in settings.action_permissions.items()},
        )

    def entries(self, action: str) -> frozenset[str]:
        return self.everything | self.per_action.get(action, frozenset())

    def groups(self, action: str) -> frozenset[str]:
        """The user groups whose members must be known to decide on ``action``."""
        return frozenset(e for e in self.entries(action) if e.startswith("S"))

    def allows(
        self, user_id: str, action: str, members: Mapping[str, frozenset[str]] | None = None
    ) -> bool:
        """``members``: the members of the groups named for the action (when known)."""
        entries = self.entries(action)
        if ANYONE in entries or user_id in entries:
            return True
        known = members or {}
        return any(user_id in known.get(group, frozenset()) for group in entries)
