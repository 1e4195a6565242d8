"""The policy half of the notifier: resolver events, commands and the clock in, ``Notification``
events out. Alert states, their timers and the ledger live in the notifier's store, so pending
escalations survive a restart and fire once (each notification's id derives from its token).

Every step is one transaction that locks the ledger first, reads the alerts it touches, decides,
publishes its notifications and saves: steps never interleave on one alert (an ack landing
during a tick is applied to what the tick saved), on one replica or many.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import structlog
from sqlalchemy.ext.asyncio import AsyncConnection

from services.notifier import store, tables
from services.notifier.ledger_store import LedgerStore
from services.notifier.metrics import ESCALATIONS
from services.notifier.policy.auditor import DEFAULT_TOLERANCE, catch_up, find_overdue
from services.notifier.policy.commands import POLICY_ACTIONS
from services.notifier.policy.decisions import Notify, Suppress
from services.notifier.policy.engine import decide
from services.notifier.policy.escalate import Outcome
from services.notifier.policy.inputs import CommandInput, Input, ResolutionInput, Tick
from services.notifier.policy.model import EscalationPolicy
from services.notifier.policy.prevention import Ledger
from services.notifier.rules_file import load_rules
from services.notifier.translate import fix_outcome, to_event
from shared.clock import SYSTEM_CLOCK, Clock
from shared.config.file_watch import FileWatch
from shared.errors import ConfigError
from shared.events import (
    Actor,
    AuditRecord,
    AuditRecordData,
    Command,
    Facts,
    FixOutcome,
    Notification,
    NotificationData,
    Resolution,
    ResolutionStatus,
    SilenceData,
    Target,
    derived_event_id,
    silencing,
)
from shared.kafka.producer import Output, Publisher
from shared.storage import Database
from shared.storage import silences as kept_silences
from shared.topics import AUDIT, NOTIFICATIONS

log = structlog.get_logger(__name__)

SOURCE = "/alertorch/notifier/policy"


@dataclass(frozen=True, slots=True)
class Step:
    """One input for one alert, with what its notifications carry."""

    fingerprint: str
    event: Input
    correlation_id: str | None
    attempt_id: str | None = None
    status: ResolutionStatus | None = None
    fix: FixOutcome | None = None


@dataclass(kw_only=True, eq=False)
class PolicyRunner:
    database: Database
    publisher: Publisher
    rules_path: Path
    roles: Mapping[str, list[str]]
    include_actions: bool = True
    resolutions_channel: str = ""
    trackers: Sequence[Target] = ()
    clock: Clock = SYSTEM_CLOCK
    ledger: LedgerStore = field(default_factory=LedgerStore, init=False)
    policy: EscalationPolicy = field(init=False)
    _watch: FileWatch = field(init=False)

    def __post_init__(self) -> None:
        self.trackers = tuple(self.trackers)
        self.policy = load_rules(self.rules_path)
        self._watch = FileWatch(self.rules_path)

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.clock.time(), UTC)

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

    async def on_resolutions(self, events: Sequence[Resolution]) -> None:
        await self._apply(
            [
                Step(
                    e.data.fingerprint,
                    ResolutionInput(e.id, e.data),
                    e.correlationid,
                    attempt_id=e.data.attempt_id,
                    status=e.data.status,
                    fix=fix_outcome(e.data),
                )
                for e in events
            ]
        )

    async def on_resolution(self, event: Resolution) -> None:
        await self.on_resolutions([event])

    async def on_commands(self, events: Sequence[Command]) -> None:
        """A batch of commands: the policy's ones applied in order, in one transaction."""
        steps = [
            Step(
                e.data.fingerprint,
                CommandInput(e.id, e.data, frozenset(self.roles.get(e.data.actor.id, ()))),
                e.correlationid,
            )
            for e in events
            if e.data.action in POLICY_ACTIONS
        ]
        if steps:
            await self._apply(steps)

    async def tick(self) -> None:
        """Wake every alert with a timer due."""
        async with self.database.transaction() as db:
            ledger = await self.ledger.lock(db)
            due = await store.due(db, self.clock.time())
            await self._decide(db, [Step(fp, Tick(), None) for fp in due], ledger)

    async def audit(self) -> int:
        """Fire escalations that should have fired and did not (e.g. missed while down)."""
        async with self.database.transaction() as db:
            ledger = await self.ledger.lock(db)
            # Only alerts whose earliest timer is past the tolerance can be late: the store
            # finds them by their next_due, so an audit never reads every open alert.
            before = self.clock.time() - DEFAULT_TOLERANCE.total_seconds()
            known = await store.overdue(db, before)
            states = [state for state, _ in known.values()]
            late = find_overdue(states, self._now())
            if not late:
                return 0
            log.warning("overdue escalations found", count=len(late))
            outcomes, ledger = catch_up(self.policy, states, self._now(), ledger)
            silences = await kept_silences.active(db, tables.silences, self.clock.time())
            outputs: list[Output] = []
            changed: dict[str, store.Known] = {}
            for outcome in outcomes:
                if outcome.state is not None:
                    fp = outcome.state.fingerprint
                    correlation = known[fp][1] if fp in known else fp
                    outputs.extend(self._outputs(outcome, correlation, None, None, silences))
                    changed[fp] = (outcome.state, correlation)
            await self.publisher.publish_many(outputs)
            _count_escalations(outputs)
            await store.save(db, changed, self.clock.time())
            await self.ledger.save(db, ledger)
        return len(late)

    async def _apply(self, steps: Sequence[Step]) -> None:
        async with self.database.transaction() as db:
            ledger = await self.ledger.lock(db)
            await self._decide(db, steps, ledger)

    async def _decide(self, db: AsyncConnection, steps: Sequence[Step], ledger: Ledger) -> None:
        known = await store.known(db, (s.fingerprint for s in steps))
        silences = await kept_silences.active(db, tables.silences, self.clock.time())
        changed: dict[str, store.Known] = {}
        outputs: list[Output] = []
        for step in steps:
            entry = known.get(step.fingerprint)
            state = entry[0] if entry else None
            if state is None and not isinstance(step.event, ResolutionInput):
                continue
            correlation = (
                entry[1] if entry and state and state.status != "resolved" else step.correlation_id
            ) or step.fingerprint
            outcome = decide(self.policy, state, step.event, self._now(), ledger)
            ledger = outcome.ledger
            outputs.extend(
                self._outputs(
                    outcome, correlation, step.attempt_id, step.status, silences, step.fix
                )
            )
            if outcome.state is not None:
                known[step.fingerprint] = changed[step.fingerprint] = (outcome.state, correlation)
        await self.publisher.publish_many(outputs)
        _count_escalations(outputs)
        await store.save(db, changed, self.clock.time())
        await self.ledger.save(db, ledger)

    def _outputs(
        self,
        outcome: Outcome,
        correlation: str,
        attempt_id: str | None,
        status: ResolutionStatus | None,
        silences: list[SilenceData],
        fix: FixOutcome | None = None,
    ) -> list[Output]:
        outputs: list[Output] = []
        for decision in outcome.decisions:
            if isinstance(decision, Notify):
                event = to_event(
                    decision,
                    outcome.state,
                    correlation_id=correlation,
                    attempt_id=attempt_id,
                    resolver_status=status,
                    include_actions=self.include_actions,
                    resolutions_channel=self.resolutions_channel,
                    trackers=self.trackers,
                    fix=fix,
                )
                silence = silencing(silences, _facts(event.data), self._now())
                if silence is None:
                    outputs.append(Output(NOTIFICATIONS, event, decision.fingerprint))
                else:
                    outputs.append(_silenced(event, silence))
            elif isinstance(decision, Suppress):
                log.info(
                    "notification suppressed",
                    fingerprint=decision.fingerprint,
                    reason=decision.reason,
                )
        return outputs


def _facts(data: NotificationData) -> Facts:
    summary = data.summary
    return Facts(
        fingerprint=data.fingerprint,
        service=summary.service,
        environment=summary.environment,
        category=summary.category,
        pattern_id=summary.pattern_id,
    )


def _silenced(event: Notification, silence: SilenceData) -> Output:
    """The record on ``audit`` of a notification a silence held back (never sent)."""
    data = event.data
    log.info("notification silenced", fingerprint=data.fingerprint, silence=silence.silence_id)
    record = AuditRecord(
        id=derived_event_id(event.id, "silenced"),
        source=SOURCE,
        subject=data.fingerprint,
        correlationid=event.correlationid,
        data=AuditRecordData(
            fingerprint=data.fingerprint,
            actor=Actor(kind="service", id="notifier", via="system"),
            action="silenced",
            target=f"notify:{data.kind}",
            outcome="succeeded",
            details={
                "silence_id": silence.silence_id,
                "reason": silence.reason,
                "what": f"{data.kind} notification (level {data.level})",
            },
        ),
    )
    return Output(AUDIT, record, data.fingerprint)


def _count_escalations(outputs: Sequence[Output]) -> None:
    for output in outputs:
        if isinstance(output.event, Notification) and output.event.data.kind == "escalation":
            ESCALATIONS.labels(str(output.event.data.level)).inc()
