"""The resolver in a replay: each classified error through the real gates
(:func:`services.resolver.gates.decide`), the gate state kept in memory the way the resolver's
store keeps it (attempts running, rate windows, breakers, snoozes). Nothing runs.

Order, as the service decides (:mod:`services.resolver.decisions`): resolved by its source ->
``resolved_by_source``; automatic resolution off -> ``suppressed``; a once-per-problem strategy
that already ran -> ``suppressed``; then the gates. A decision that starts an attempt gets the
attempt id the service would give it. What an attempt did next (executing, verifying,
succeeded, failed, approved by a person, ...) cannot be computed, so it is taken from the record:

- the recorded events of an attempt follow this replay's attempt of the same id when it started
  the same way (same status, same strategy); they update the gate state as they did the store's;
- an attempt the record does not have is taken to run for the execution timeout plus its
  verification window and end with no event; one awaiting approval expires after the approval
  timeout (nobody approved it);
- attempts the window's errors did not start (a fallback list's next strategy, one started before
  the window) follow the record on every side alike.

Silences are not applied (the resolver's store keeps them; the topics in the window may not).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from services.cli.replay_history import Recorded
from services.resolver.catalog import CatalogEntry
from services.resolver.decisions import already_ran, attempt_id_of, runs_once
from services.resolver.engine import EngineSettings, level_of
from services.resolver.events import resolution, summary_of
from services.resolver.gates import Candidate, GateState, decide, limit_key, record_start
from services.resolver.store import ACTIVE
from services.resolver.strategy import ResolutionStrategy
from shared.events import (
    ClassifiedError,
    Command,
    Gate,
    Resolution,
    ResolutionStatus,
    SafetyLevel,
)

#: Statuses after which an attempt holds no slot.
ENDED = frozenset({"succeeded", "failed", "rolled_back", "rejected", "expired", "skipped"})


@dataclass(frozen=True)
class ResolverSetup:
    """What the resolver reads from one side's configuration."""

    engine: EngineSettings
    #: The executors that exist (built-ins and plugins): their safety level, once per problem.
    strategies: Mapping[str, ResolutionStrategy]

    def level_of(self, entry: CatalogEntry | None) -> SafetyLevel | None:
        return level_of(entry, self.strategies)


@dataclass(order=True)
class _Due:
    at: float
    order: int
    act: Callable[[float], None] = field(compare=False)


class ResolverReplay:
    def __init__(self, setup: ResolverSetup, record: Sequence[Recorded[Resolution]]) -> None:
        self.setup = setup
        config = setup.engine
        self.gates = GateState(
            breaker_threshold=config.breaker_threshold,
            breaker_cooldown_seconds=config.breaker_cooldown_seconds,
        )
        self.out: list[Recorded[Resolution]] = []
        #: This side's own decisions on classified errors (the rest of ``out`` is recorded).
        self.decided: list[Recorded[Resolution]] = []
        self._status: dict[str, tuple[str, str, ResolutionStatus]] = {}  # id: fp, strategy, status
        self._record: dict[str, list[Recorded[Resolution]]] = {}
        for item in record:
            if item.event.data.attempt_id:
                self._record.setdefault(item.event.data.attempt_id, []).append(item)
        self._queue: list[_Due] = []
        self._asked = 0
        self._started: dict[str, Resolution] = {}

    def _at(self, at: float, act: Callable[[float], None]) -> None:
        """Do ``act`` at ``at``; what is due at one time is done in the order it was asked."""
        self._asked += 1
        heapq.heappush(self._queue, _Due(at, self._asked, act))

    def run(
        self, classified: Sequence[Recorded[ClassifiedError]], commands: Iterable[Recorded[Command]]
    ) -> list[Recorded[Resolution]]:
        """Every event this side's resolver would publish on ``resolutions``, in time order."""
        started = {attempt_id_of(c.event.id) for c in classified}
        for attempt, events in self._record.items():
            if attempt not in started:
                self._follow(events)
        for c in classified:
            self._at(c.at, partial(self._decide, c.event))
        for k in commands:
            if k.event.data.action == "snooze":
                self._at(k.at, partial(self._snooze, k.event))
        while self._queue:
            due = heapq.heappop(self._queue)
            due.act(due.at)
        return self.out

    def _emit(self, event: Resolution, now: float) -> None:
        self.out.append(Recorded(event, now))

    def _snooze(self, command: Command, now: float) -> None:
        data, operators = command.data, self.setup.engine.operators
        if "*" in operators or data.actor.id in operators:  # as services.resolver.commands
            self.gates.snoozed_until[data.fingerprint] = now + (data.snooze_seconds or 3600)

    def _follow(self, events: Sequence[Recorded[Resolution]]) -> None:
        for item in events:
            self._at(item.at, partial(self._recorded, item.event))

    def _recorded(self, event: Resolution, now: float) -> None:
        """A recorded state change of an attempt: published again, and applied to the gates."""
        data = event.data
        self._emit(event, now)
        attempt = data.attempt_id or ""
        fp, strategy = data.fingerprint, data.strategy or ""
        self._status[attempt] = (fp, strategy, data.status)
        entry = self.setup.engine.catalog.get(strategy)
        policy = self.setup.engine.policy
        if data.status == "approved" and entry is not None:
            candidate = Candidate(fp, strategy, 1.0, data.summary.environment)
            record_start(strategy, entry, candidate, policy, self.gates, now)
        elif data.status in ACTIVE:
            self.gates.running.add(fp)
        if data.status in ("succeeded", "failed") and entry is not None:
            breaker = self.gates.breaker(limit_key(strategy, entry))
            breaker.record(success=data.status == "succeeded", now=now)
        if data.status in ENDED:
            self.gates.running.discard(fp)

    def _done_once(self, fingerprint: str, entry: CatalogEntry) -> bool:
        mine = ((name, status) for fp, name, status in self._status.values() if fp == fingerprint)
        return runs_once(self.setup.strategies, entry) and already_ran(
            self.setup.engine.catalog, entry, mine
        )

    def _decision(
        self,
        event: ClassifiedError,
        now: float,
        status: ResolutionStatus,
        reason: str,
        *,
        cause: str | None = None,
        strategy: str | None = None,
        safety_level: SafetyLevel | None = None,
        gate: Gate | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        data = event.data
        made = resolution(
            cause=cause or event.id,
            correlation_id=event.correlationid,
            fingerprint=data.fingerprint,
            status=status,
            summary=summary_of(data),
            reason=reason,
            attempt_id=cause,
            strategy=strategy,
            safety_level=safety_level,
            gate=gate,
            dry_run=self.setup.engine.policy.dry_run,
            details=details,
        )
        self._emit(made, now)
        self.decided.append(Recorded(made, now))
        if cause is not None:
            self._started[cause] = made

    def _decide(self, event: ClassifiedError, now: float) -> None:
        data, config = event.data, self.setup.engine
        name = data.resolution_strategy
        entry = config.catalog.get(name or "")
        if data.error.status == "resolved":
            why = f"resolved by source ({data.error.origin})"
            self._decision(event, now, "resolved_by_source", why)
            return
        if not config.enabled:
            why = "automatic resolution is off (components.auto_resolution_enabled)"
            self._decision(event, now, "suppressed", why, strategy=name)
            return
        if entry is not None and self._done_once(data.fingerprint, entry):
            why = f"{entry.executor} already ran for this problem"
            self._decision(event, now, "suppressed", why, strategy=name)
            return
        candidate = Candidate(data.fingerprint, name, data.confidence, data.error.environment)
        decided = decide(
            candidate,
            entry=entry,
            safety_level=self.setup.level_of(entry),
            policy=config.policy,
            state=self.gates,
            now=now,
        )
        if decided.status not in ("auto_resolving", "awaiting_approval"):
            self._decision(event, now, decided.status, decided.reason, **decided.event_fields())
            return
        assert entry is not None
        assert decided.strategy is not None
        attempt = attempt_id_of(event.id)
        self._status[attempt] = (data.fingerprint, decided.strategy, decided.status)
        details: dict[str, Any] = {}
        if decided.status == "auto_resolving":
            record_start(decided.strategy, entry, candidate, config.policy, self.gates, now)
        else:
            details["expires_at"] = now + config.approval_timeout_seconds
        self._decision(
            event,
            now,
            decided.status,
            decided.reason,
            cause=attempt,
            strategy=decided.strategy,
            safety_level=decided.safety_level,
            details=details,
        )
        self._then(attempt, decided.status, decided.strategy, entry, now)

    def _then(
        self, attempt: str, status: ResolutionStatus, strategy: str, entry: CatalogEntry, now: float
    ) -> None:
        """What follows an attempt this replay started: the record's, or the assumed end."""
        recorded = self._record.get(attempt, [])
        first = recorded[0].event.data if recorded else None
        if first is not None and (first.status, first.strategy) == (status, strategy):
            self._follow(recorded[1:])
            return
        config = self.setup.engine
        if status == "auto_resolving":
            ends = now + config.execution_timeout_seconds + entry.verify_minutes * 60
            self._at(ends, lambda _: self.gates.running.discard(self._status[attempt][0]))
        else:
            self._at(now + config.approval_timeout_seconds, lambda at: self._expire(attempt, at))

    def _expire(self, attempt: str, now: float) -> None:
        """Nobody approved it: the service's expiry (:mod:`services.resolver.timers`)."""
        fp, strategy, status = self._status[attempt]
        if status != "awaiting_approval":
            return
        self._status[attempt] = (fp, strategy, "expired")
        started = self._started[attempt]
        expired = resolution(
            cause=attempt,
            correlation_id=started.correlationid,
            fingerprint=fp,
            status="expired",
            summary=started.data.summary,
            reason="nobody approved it in time",
            attempt_id=attempt,
            strategy=strategy,
            safety_level=started.data.safety_level,
            dry_run=started.data.dry_run,
        )
        self._emit(expired, now)
