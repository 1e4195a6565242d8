"""The policy half of the notifier: resolver events, commands and the clock in, ``Notification``
events out. Alert states, their timers and the ledger live in the notifier's store, so pending
escalations survive a restart and fire once (each notification's id derives from its token).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import structlog

from services.notifier.policy.auditor import catch_up, find_overdue
from services.notifier.policy.decisions import Notify, Suppress
from services.notifier.policy.engine import decide
from services.notifier.policy.escalate import Outcome
from services.notifier.policy.inputs import CommandInput, Input, ResolutionInput, Tick
from services.notifier.policy.model import EscalationPolicy
from services.notifier.rules_file import load_rules
from services.notifier.store import NotifierStore
from services.notifier.translate import to_event
from shared.config.file_watch import FileWatch
from shared.errors import ConfigError
from shared.events import Command, Envelope, Resolution
from shared.events.resolution import ResolutionStatus
from shared.topics import NOTIFICATIONS

log = structlog.get_logger(__name__)


class Publisher(Protocol):
    async def publish(self, topic: str, event: Envelope, *, key: str) -> None: ...


class PolicyRunner:
    def __init__(
        self,
        *,
        store: NotifierStore,
        publisher: Publisher,
        rules_path: Path,
        roles: Mapping[str, list[str]],
        include_actions: bool = True,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.publisher = publisher
        self.rules_path = rules_path
        self.roles = roles
        self.include_actions = include_actions
        self.clock = clock
        self.policy: EscalationPolicy = load_rules(rules_path)
        self._watch = FileWatch(rules_path)

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    def reload_if_changed(self) -> bool:
        """A changed, valid rules file applies to alerts that open from now on."""
        if not self._watch.changed():
            return False
        try:
            self.policy = load_rules(self.rules_path)
        except ConfigError as exc:
            log.error("escalation rules invalid; keeping the running rules", problems=exc.problems)
            return False
        log.info("escalation rules reloaded", path=str(self.rules_path))
        return True

    async def on_resolution(self, event: Resolution) -> None:
        data = event.data
        await self._apply(
            data.fingerprint,
            ResolutionInput(event.id, data),
            event.correlationid,
            attempt_id=data.attempt_id,
            status=data.status,
        )

    async def on_command(self, event: Command) -> None:
        data = event.data
        if data.action not in ("ack", "snooze", "escalate", "resolve"):
            return
        roles = frozenset(self.roles.get(data.actor.id, ()))
        await self._apply(
            data.fingerprint, CommandInput(event.id, data, roles), event.correlationid
        )

    async def tick(self) -> None:
        """Wake every alert with a timer due."""
        for fingerprint in self.store.due(self.clock()):
            await self._apply(fingerprint, Tick(), None)

    async def audit(self) -> int:
        """Fire escalations that should have fired and did not (e.g. missed while down)."""
        states = self.store.open_alerts()
        late = find_overdue(states, self._now())
        if not late:
            return 0
        log.warning("overdue escalations found", count=len(late))
        outcomes, ledger = catch_up(self.policy, states, self._now(), self.store.ledger())
        for outcome in outcomes:
            if outcome.state is not None:
                known = self.store.alert(outcome.state.fingerprint)
                correlation = known[1] if known else outcome.state.fingerprint
                await self._publish(outcome, correlation, None, None)
                self.store.save(outcome.state, outcome.state.fingerprint, correlation, ledger)
        return len(late)

    async def _apply(
        self,
        fingerprint: str,
        event: Input,
        correlation_id: str | None,
        *,
        attempt_id: str | None = None,
        status: ResolutionStatus | None = None,
    ) -> None:
        known = self.store.alert(fingerprint)
        state = known[0] if known else None
        if state is None and not isinstance(event, ResolutionInput):
            return
        correlation = (
            known[1] if known and state and state.status != "resolved" else correlation_id
        ) or fingerprint
        outcome = decide(self.policy, state, event, self._now(), self.store.ledger())
        await self._publish(outcome, correlation, attempt_id, status)
        self.store.save(outcome.state, fingerprint, correlation, outcome.ledger)

    async def _publish(
        self,
        outcome: Outcome,
        correlation: str,
        attempt_id: str | None,
        status: ResolutionStatus | None,
    ) -> None:
        for decision in outcome.decisions:
            if isinstance(decision, Notify):
                event = to_event(
                    decision,
                    outcome.state,
                    correlation_id=correlation,
                    attempt_id=attempt_id,
                    resolver_status=status,
                    include_actions=self.include_actions,
                )
                await self.publisher.publish(NOTIFICATIONS, event, key=decision.fingerprint)
            elif isinstance(decision, Suppress):
                log.info(
                    "notification suppressed",
                    fingerprint=decision.fingerprint,
                    reason=decision.reason,
                )
