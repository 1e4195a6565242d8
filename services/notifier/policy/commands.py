"""People's commands: ``ack`` stops escalation, ``snooze`` pauses it, ``escalate`` raises one
level now, ``resolve`` closes the alert. Other actions are not the policy's business."""

from __future__ import annotations

from datetime import datetime, timedelta

from services.notifier.policy.decisions import Decision, Suppress
from services.notifier.policy.escalate import Outcome, raise_level
from services.notifier.policy.lifecycle import close
from services.notifier.policy.model import EscalationPolicy
from services.notifier.policy.notify import update
from services.notifier.policy.prevention import Ledger
from services.notifier.policy.state import AlertState
from services.notifier.policy.timers import change_timers, new_timer, stop_all
from shared.events import CommandData

#: The snooze choices offered on buttons; any ``snooze_seconds`` the command carries is honoured.
SNOOZE_CHOICES = (timedelta(minutes=15), timedelta(hours=1), timedelta(days=1))
DEFAULT_SNOOZE = timedelta(hours=1)
ACK_TYPES = frozenset({"slack", "pagerduty"})
PAUSABLE = ("grace", "step", "time_trigger")
#: Command ids an alert remembers, so a redelivered command (same id) acts once.
HANDLED_COMMANDS = 100
#: The commands the escalation policy acts on; it leaves the others (e.g. ``silence``) alone.
POLICY_ACTIONS = ("ack", "snooze", "escalate", "resolve")


def _who(data: CommandData) -> str:
    return data.actor.name or data.actor.id


def ack(state: AlertState, data: CommandData, key: str, ledger: Ledger) -> Outcome:
    if state.status == "acknowledged":
        return Outcome(state, ledger, (Suppress(state.fingerprint, "already acknowledged"),))
    state, decisions = stop_all(state)
    state = state.model_copy(update={"status": "acknowledged", "acknowledged_by": _who(data)})
    told = update(state, "update", f"acknowledged by {_who(data)}", key, ACK_TYPES)
    return Outcome(state, ledger, (*decisions, *told))


def snooze(
    state: AlertState, data: CommandData, key: str, now: datetime, ledger: Ledger
) -> Outcome:
    if state.status == "acknowledged":
        why = "acknowledged: escalation is already stopped"
        return Outcome(state, ledger, (Suppress(state.fingerprint, why),))
    length = timedelta(seconds=data.snooze_seconds) if data.snooze_seconds else DEFAULT_SNOOZE
    until = now + length
    held = [t for t in state.timers if t.kind in PAUSABLE]
    wake = new_timer(state, "snooze_end", until, key=key)
    state, decisions = change_timers(state, lambda t: t.kind in (*PAUSABLE, "snooze_end"), [wake])
    state = state.model_copy(
        update={
            "paused": (*state.paused, *held),
            "snoozed_at": state.snoozed_at or now,
            "snoozed_until": until,
        }
    )
    told = update(state, "update", f"snoozed by {_who(data)} until {until:%Y-%m-%d %H:%M} UTC", key)
    return Outcome(state, ledger, (*decisions, *told))


def wake(state: AlertState) -> tuple[AlertState, list[Decision]]:
    """End a snooze: held timers resume, shifted by the time they were held."""
    if state.snoozed_at is None:
        return state, []
    shift = (state.snoozed_until or state.snoozed_at) - state.snoozed_at
    resumed = [t.model_copy(update={"due_at": t.due_at + shift}) for t in state.paused]
    state = state.model_copy(update={"paused": (), "snoozed_at": None, "snoozed_until": None})
    return change_timers(state, lambda t: t.kind == "snooze_end", resumed)


def escalate(
    current: EscalationPolicy,
    state: AlertState,
    data: CommandData,
    now: datetime,
    ledger: Ledger,
) -> Outcome:
    state, decisions = wake(state)
    following = state.policy.next_level(state.level)
    if state.status == "grace":
        state, more = change_timers(state, lambda t: t.kind == "grace")
        decisions += more
        state = state.model_copy(update={"status": "open"})
    target = following if following is not None else state.level
    reason = f"escalated by {_who(data)}" + (f": {data.reason}" if data.reason else "")
    raised = raise_level(current, state, ledger, target, now, reason, manual=True)
    return Outcome(raised.state, raised.ledger, (*decisions, *raised.decisions))


def resolve(
    state: AlertState, data: CommandData, roles: frozenset[str], now: datetime, ledger: Ledger
) -> Outcome:
    manual = state.policy.de_escalation.manual_de_escalation
    if not manual.enabled:
        why = "manual de-escalation is disabled"
        return Outcome(state, ledger, (Suppress(state.fingerprint, why),))
    if manual.requires_approval and not roles & set(manual.approval_roles):
        why = f"resolving needs one of the roles: {', '.join(manual.approval_roles)}"
        return Outcome(state, ledger, (Suppress(state.fingerprint, why),))
    return close(state, ledger, now, f"resolved by {_who(data)}")


def on_command(
    current: EscalationPolicy,
    state: AlertState | None,
    data: CommandData,
    event_id: str,
    roles: frozenset[str],
    now: datetime,
    ledger: Ledger,
) -> Outcome:
    if data.action not in POLICY_ACTIONS:
        return Outcome(state, ledger)
    if state is None or state.status == "resolved":
        why = f"{data.action}: no open alert for this fingerprint"
        return Outcome(state, ledger, (Suppress(data.fingerprint, why),))
    if event_id in state.handled_commands:
        why = f"{data.action}: command {event_id} was handled already (a redelivery)"
        return Outcome(state, ledger, (Suppress(data.fingerprint, why),))
    handled = (*state.handled_commands, event_id)[-HANDLED_COMMANDS:]
    state = state.model_copy(update={"handled_commands": handled})
    if data.action == "ack":
        return ack(state, data, event_id, ledger)
    if data.action == "snooze":
        return snooze(state, data, event_id, now, ledger)
    if data.action == "escalate":
        return escalate(current, state, data, now, ledger)
    return resolve(state, data, roles, now, ledger)
