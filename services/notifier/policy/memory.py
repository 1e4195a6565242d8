"""An in-memory driver of the engine: alert states, the ledger and a clock you move by hand.

It does what the service does with its store (keep each alert's state and the ledger, wake
alerts whose timers are due), without I/O, so tests and experiments can replay hours of an
incident in microseconds. Not for production: nothing here is durable.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from services.notifier.policy.decisions import Decision
from services.notifier.policy.engine import decide
from services.notifier.policy.inputs import CommandInput, ResolutionInput, Tick
from services.notifier.policy.model import EscalationPolicy
from services.notifier.policy.prevention import Ledger
from services.notifier.policy.state import AlertState


class MemoryDriver:
    def __init__(self, policy: EscalationPolicy, now: datetime) -> None:
        self.policy = policy
        self.now = now
        self.ledger = Ledger()
        self.states: dict[str, AlertState] = {}
        self.log: list[Decision] = []

    def send(self, event: ResolutionInput | CommandInput) -> list[Decision]:
        """Feed one event at the current time; return (and log) its decisions."""
        return self._decide(event.data.fingerprint, event)

    def tick(self, fingerprint: str) -> list[Decision]:
        return self._decide(fingerprint, Tick())

    def advance(self, delta: timedelta) -> list[Decision]:
        """Move the clock, waking each alert at each of its timers' due times in order."""
        end = self.now + delta
        decisions: list[Decision] = []
        for _ in range(100_000):
            due = [
                (timer.due_at, state.fingerprint)
                for state in self.states.values()
                for timer in state.timers
                if timer.due_at <= end
            ]
            if not due:
                break
            at, fingerprint = min(due)
            self.now = max(self.now, at)
            decisions += self.tick(fingerprint)
        self.now = end
        return decisions

    def _decide(
        self, fingerprint: str, event: ResolutionInput | CommandInput | Tick
    ) -> list[Decision]:
        outcome = decide(self.policy, self.states.get(fingerprint), event, self.now, self.ledger)
        if outcome.state is not None:
            self.states[fingerprint] = outcome.state
        self.ledger = outcome.ledger
        self.log += outcome.decisions
        return list(outcome.decisions)
