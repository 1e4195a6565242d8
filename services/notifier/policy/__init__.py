"""The escalation policy: a pure library (no I/O, clock passed in). See docs/escalation.md.

:func:`decide` takes the current policy (the loaded rules file), one alert's state, an input
(a resolver event, a command, or a clock tick), the time, and the ledger shared by all alerts,
and returns an :class:`Outcome`: the alert's new state, the new ledger, and the decisions
(:class:`Notify`, :class:`Suppress`, :class:`Schedule`, :class:`Cancel`) for the service to
carry out.
"""

from services.notifier.policy.auditor import Overdue, catch_up, find_overdue
from services.notifier.policy.decisions import Cancel, Decision, Notify, Schedule, Suppress
from services.notifier.policy.engine import decide
from services.notifier.policy.escalate import Outcome
from services.notifier.policy.inputs import CommandInput, Input, ResolutionInput, Tick
from services.notifier.policy.model import EscalationPolicy
from services.notifier.policy.prevention import Ledger
from services.notifier.policy.state import AlertState, Timer

__all__ = [
    "AlertState",
    "Cancel",
    "CommandInput",
    "Decision",
    "EscalationPolicy",
    "Input",
    "Ledger",
    "Notify",
    "Outcome",
    "Overdue",
    "ResolutionInput",
    "Schedule",
    "Suppress",
    "Tick",
    "Timer",
    "catch_up",
    "decide",
    "find_overdue",
]
