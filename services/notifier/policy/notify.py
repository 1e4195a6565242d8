"""Building notifications: a level's notification, and updates to everyone already told."""

from __future__ import annotations

from services.notifier.policy.decisions import ALERT_BUTTONS, Notify
from services.notifier.policy.state import AlertState
from services.notifier.policy.timers import token
from shared.events import NotificationKind, Target

CONSOLE = Target(type="console")


def level_notification(
    state: AlertState, level: int, kind: NotificationKind, reason: str
) -> Notify:
    """The notification of ``level`` (its Slack channels, e-mail, PagerDuty, ...).

    A level without delivery targets still reaches the console, so nothing is silent.
    """
    definition = state.policy.level(level)
    return Notify(
        fingerprint=state.fingerprint,
        token=token(state, "level", str(level)),
        kind=kind,
        level=level,
        targets=definition.targets() or (CONSOLE,),
        reason=reason,
        actions=tuple(definition.actions),
        scenario_actions=state.scenario_actions,
        buttons=ALERT_BUTTONS if definition.include_actions else (),
    )


def notified_targets(state: AlertState, types: frozenset[str]) -> tuple[Target, ...]:
    """Targets of the levels notified so far, of the given types, each once."""
    seen: dict[tuple[str, str | None], Target] = {}
    for level in state.notified_levels:
        for target in state.policy.level(level).targets():
            if target.type in types:
                seen.setdefault((target.type, target.channel), target)
    return tuple(seen.values())


def update(
    state: AlertState,
    kind: NotificationKind,
    reason: str,
    key: str,
    types: frozenset[str] = frozenset({"slack"}),
) -> list[Notify]:
    """Tell those already notified (no-one yet: nothing to send). ``key`` makes the token."""
    targets = notified_targets(state, types)
    if not targets:
        return []
    return [
        Notify(
            fingerprint=state.fingerprint,
            token=token(state, kind, key),
            kind=kind,
            level=state.level,
            targets=targets,
            reason=reason,
        )
    ]
