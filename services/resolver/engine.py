"""What every step of the resolver shares: its settings, its strategies, its database, where
its events go, its clock; and the one way an attempt changes state.

Each step (``decisions``, ``execution``, ``timers``, ``commands``) changes state in one
transaction and publishes what it changed *before* that transaction commits: a failed publish
rolls the change back and the step is retried, a commit that fails after the publish republishes
the same event ids. The database is the truth; the events follow it.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from services.resolver import store
from services.resolver.catalog import CatalogEntry, safety_of
from services.resolver.events import SERVICE_ACTOR, audit, resolution
from services.resolver.gates import GateState, Policy
from services.resolver.metrics import count_published
from services.resolver.store import Attempt
from services.resolver.strategy import ErrorContext, ResolutionStrategy, StrategyResult
from shared.clock import SYSTEM_CLOCK, Clock
from shared.config import Settings
from shared.events import Actor, AuditOutcome, Gate, ResolutionStatus, SafetyLevel
from shared.kafka.producer import Output, Publisher
from shared.storage import Database
from shared.topics import AUDIT, RESOLUTIONS

PEOPLE_ACTIONS = ("approve", "reject", "rollback", "retry", "snooze")


@dataclass(frozen=True)
class EngineSettings:
    policy: Policy
    catalog: Mapping[str, CatalogEntry]
    operators: frozenset[str]
    approval_timeout_seconds: float
    execution_timeout_seconds: float
    automatic_rollback: bool
    rollback_window_seconds: float
    drop_ratio: float
    breaker_threshold: int
    breaker_cooldown_seconds: float
    lease_seconds: float = 30.0
    enabled: bool = True

    @classmethod
    def of(cls, settings: Settings, catalog: Mapping[str, CatalogEntry]) -> EngineSettings:
        auto = settings.auto_resolution
        return cls(
            policy=Policy(
                auto_resolution=auto,
                dry_run=settings.operation.dry_run,
                auto_approve_up_to=settings.operation.auto_approve_up_to,
                max_concurrent=settings.operation.max_concurrent_resolutions,
            ),
            catalog=catalog,
            operators=frozenset(auto.operators),
            approval_timeout_seconds=settings.operation.approval_timeout_minutes * 60,
            execution_timeout_seconds=float(settings.operation.resolution_timeout),
            automatic_rollback=auto.rollback_settings.enable_automatic_rollback,
            rollback_window_seconds=float(auto.rollback_settings.rollback_timeout),
            drop_ratio=auto.verify_drop_ratio,
            breaker_threshold=auto.circuit_failures,
            breaker_cooldown_seconds=auto.circuit_cooldown_minutes * 60,
            lease_seconds=auto.execution_lease_seconds,
            enabled=settings.components.auto_resolution_enabled,
        )


def replica_name() -> str:
    """This process among the resolver's replicas: host name and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(kw_only=True, eq=False)
class ResolverEngine:
    config: EngineSettings
    database: Database
    strategies: Mapping[str, ResolutionStrategy]
    publisher: Publisher
    clock: Clock = SYSTEM_CLOCK
    replica: str = field(default_factory=replica_name)
    on_saved: Callable[[Attempt], None] | None = None
    #: Classified events whose decisions the broker acknowledged, marked published by the next
    #: batch's transaction (see :func:`services.resolver.decisions.decide_batch`).
    unmarked: list[str] = field(default_factory=list)

    def now(self) -> float:
        return self.clock.time()

    def level_of(self, entry: CatalogEntry | None) -> SafetyLevel | None:
        return level_of(entry, self.strategies)

    def context_of(self, attempt: Attempt, entry: CatalogEntry) -> ErrorContext:
        """What ``attempt``'s strategy is told about the problem."""
        c = attempt.context
        return ErrorContext(
            fingerprint=attempt.fingerprint,
            attempt_id=attempt.attempt_id,
            category=str(c.get("category")),
            title=str(c.get("title")),
            severity=str(c.get("severity")),
            environment=c.get("environment"),
            service=c.get("service"),
            confidence=float(c.get("confidence", 0.0)),
            dry_run=self.config.policy.dry_run,
            target=entry.target,
            params=entry.params,
        )

    @staticmethod
    def result_of(attempt: Attempt) -> StrategyResult:
        """What ``attempt``'s execution returned, as its strategy gave it."""
        kept = attempt.result
        return StrategyResult(
            success=bool(kept.get("success")),
            message=str(kept.get("message", "")),
            details=kept.get("details", {}),
            rollback_data=kept.get("rollback_data", {}),
        )

    async def gates(self, db: AsyncConnection) -> GateState:
        """The global gate state, locked for the rest of ``db``'s transaction."""
        return await store.lock_gates(
            db,
            threshold=self.config.breaker_threshold,
            cooldown_seconds=self.config.breaker_cooldown_seconds,
        )

    def transition(
        self,
        attempt: Attempt,
        status: ResolutionStatus,
        reason: str,
        *,
        actor: Actor | None = None,
        gate: Gate | None = None,
        details: dict[str, Any] | None = None,
    ) -> Output:
        """Move ``attempt`` to ``status``; the event that says so (its id derives from the
        attempt and the status, so a republish has the same id)."""
        ran = [h["at"] for h in attempt.history if h.get("status") == "executing"]
        attempt.status = status
        attempt.updated_at = self.now()
        ended = status in ("succeeded", "failed", "rolled_back") and ran
        duration = max(0.0, attempt.updated_at - float(ran[-1])) if ended else None
        cause = attempt.attempt_id + (f":{len(attempt.history)}" if status == "skipped" else "")
        attempt.history.append({"status": status, "at": attempt.updated_at, "reason": reason})
        event = resolution(
            cause=cause,
            correlation_id=attempt.correlation_id,
            fingerprint=attempt.fingerprint,
            status=status,
            summary=attempt.summary,
            reason=reason,
            attempt_id=attempt.attempt_id,
            strategy=attempt.strategy,
            safety_level=attempt.safety_level,
            gate=gate,
            actor=actor,
            dry_run=self.config.policy.dry_run,
            details=details,
            duration_seconds=duration,
        )
        return Output(RESOLUTIONS, event, attempt.fingerprint)

    def audited(
        self,
        attempt: Attempt,
        action: str,
        outcome: AuditOutcome,
        *,
        target: str | None,
        actor: Actor = SERVICE_ACTOR,
        details: dict[str, Any] | None = None,
    ) -> Output:
        """The audit record of something done to ``attempt``."""
        record = audit(
            cause=attempt.attempt_id,
            correlation_id=attempt.correlation_id,
            fingerprint=attempt.fingerprint,
            action=action,
            target=target,
            outcome=outcome,
            actor=actor,
            details=details,
        )
        return Output(AUDIT, record, attempt.fingerprint)

    async def commit(
        self, db: AsyncConnection, outputs: Sequence[Output], *changed: Attempt
    ) -> None:
        """Save ``changed`` and publish ``outputs`` inside ``db``'s transaction (the caller's
        ``async with`` commits after this returns)."""
        if changed:
            await store.save(db, *changed)
        if outputs:
            await self.publisher.publish_many(outputs)
            count_published(outputs)
        if self.on_saved is not None:
            for attempt in changed:
                self.on_saved(attempt)


def level_of(
    entry: CatalogEntry | None, strategies: Mapping[str, ResolutionStrategy]
) -> SafetyLevel | None:
    """The safety level of ``entry``'s strategy, ``None`` when no such executor exists."""
    if entry is None or entry.executor not in strategies:
        return None
    custom = {name: s.safety_level for name, s in strategies.items()}
    return safety_of(entry, custom)
