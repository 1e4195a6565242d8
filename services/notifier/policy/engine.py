"""The policy engine's one entry point: (policy, alert state, input, now, ledger) -> outcome.

Pure: no clock, no I/O. ``current`` is the policy loaded now; it opens new alerts and sets the
caps shared by all alerts. Everything else about an alert follows the snapshot it took when it
opened (:attr:`AlertState.policy`).
"""

from __future__ import annotations

from datetime import datetime

from services.notifier.policy.commands import on_command
from services.notifier.policy.escalate import Outcome
from services.notifier.policy.inputs import CommandInput, Input, ResolutionInput
from services.notifier.policy.model import EscalationPolicy
from services.notifier.policy.prevention import Ledger
from services.notifier.policy.resolutions import on_resolution
from services.notifier.policy.state import AlertState
from services.notifier.policy.ticks import on_tick


def decide(
    current: EscalationPolicy,
    state: AlertState | None,
    event: Input,
    now: datetime,
    ledger: Ledger,
) -> Outcome:
    """React to ``event`` at ``now`` (timezone-aware) for one alert (one fingerprint)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if isinstance(event, ResolutionInput):
        return on_resolution(current, state, event.data, event.event_id, now, ledger)
    if isinstance(event, CommandInput):
        return on_command(current, state, event.data, event.event_id, event.roles, now, ledger)
    return on_tick(current, state, now, ledger)
