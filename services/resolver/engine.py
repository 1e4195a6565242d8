"""The resolver's behaviour: a decision for every classified error, attempts run under every
gate, commands from people, verification and automatic rollback.

Outputs go through ``publisher`` (the service's producer, awaited per event); state lives in the
resolver's store; time comes from ``clock``. An attempt's row is stored as ``executing`` before
its strategy runs, so nothing is ever executed twice; an attempt found ``executing`` at start-up
was interrupted and is marked failed, never re-run.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import structlog

from services.resolver.catalog import CatalogEntry, safety_of
from services.resolver.events import SERVICE_ACTOR, audit, resolution, summary_of
from services.resolver.gates import Candidate, GateState, Policy, decide, limit_key, record_start
from services.resolver.store import Attempt, ResolverStore
from services.resolver.strategy import ErrorContext, ResolutionStrategy, StrategyResult
from services.resolver.verification import verdict
from shared.config import Settings
from shared.events import ClassifiedError, Envelope, derived_event_id
from shared.events.resolution import ResolutionStatus
from shared.topics import AUDIT, RESOLUTIONS

log = structlog.get_logger(__name__)

PEOPLE_ACTIONS = ("approve", "reject", "rollback", "retry", "snooze")


class Publisher(Protocol):
    async def publish(self, topic: str, event: Envelope, *, key: str) -> None: ...


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
            enabled=settings.components.auto_resolution_enabled,
        )


class ResolverEngine:
    def __init__(
        self,
        *,
        config: EngineSettings,
        store: ResolverStore,
        strategies: Mapping[str, ResolutionStrategy],
        publisher: Publisher,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.store = store
        self.strategies = strategies
        self.publisher = publisher
        self.clock = clock

    # -- helpers -------------------------------------------------------------------------------
    def gates(self) -> GateState:
        return self.store.gate_state(
            threshold=self.config.breaker_threshold,
            cooldown_seconds=self.config.breaker_cooldown_seconds,
        )

    def level_of(self, entry: CatalogEntry | None) -> Any:
        if entry is None:
            return None
        custom = {name: s.safety_level for name, s in self.strategies.items()}
        return safety_of(entry, custom) if entry.executor in self.strategies else None

    async def emit(
        self,
        attempt: Attempt,
        status: Any,
        reason: str,
        *,
        actor: Any = None,
        gate: Any = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        attempt.status = status
        attempt.updated_at = self.clock()
        event = resolution(
            cause=attempt.attempt_id + (f":{len(attempt.history)}" if status == "skipped" else ""),
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
        )
        attempt.history.append({"status": status, "at": attempt.updated_at, "reason": reason})
        await self.publisher.publish(RESOLUTIONS, event, key=attempt.fingerprint)
        self.store.save(attempt)

    # -- classified errors ---------------------------------------------------------------------
    async def decided(
        self, event: ClassifiedError, status: ResolutionStatus, reason: str, **fields: Any
    ) -> None:
        """Publish the decision on ``event`` that starts no attempt."""
        data = event.data
        await self.publisher.publish(
            RESOLUTIONS,
            resolution(
                cause=event.id,
                correlation_id=event.correlationid,
                fingerprint=data.fingerprint,
                status=status,
                summary=summary_of(data),
                reason=reason,
                dry_run=self.config.policy.dry_run,
                **fields,
            ),
            key=data.fingerprint,
        )

    async def on_classified(self, event: ClassifiedError) -> None:
        data, now = event.data, self.clock()
        if data.error.status == "resolved":
            reason = f"resolved by source ({data.error.origin})"
            await self.decided(event, "resolved_by_source", reason)
            return
        if not self.config.enabled:
            reason = "automatic resolution is off (components.auto_resolution_enabled)"
            await self.decided(event, "suppressed", reason, strategy=data.resolution_strategy)
            return
        for attempt in self.store.with_status("verifying"):
            if attempt.fingerprint == data.fingerprint:
                attempt.seen_during_verify += 1
                self.store.save(attempt)
        attempt_id = "att_" + derived_event_id(event.id, "attempt")
        if self.store.attempt(attempt_id) is not None:
            log.info("classified event already decided; skipping redelivery")
            return
        entry = self.config.catalog.get(data.resolution_strategy or "")
        state = self.gates()
        if entry is not None and self._done_once(data.fingerprint, entry):
            reason = f"{entry.executor} already ran for this problem"
            await self.decided(event, "suppressed", reason, strategy=data.resolution_strategy)
            return
        candidate = Candidate(
            data.fingerprint, data.resolution_strategy, data.confidence, data.error.environment
        )
        decision = decide(
            candidate,
            entry=entry,
            safety_level=self.level_of(entry),
            policy=self.config.policy,
            state=state,
            now=now,
        )
        summary = summary_of(data)
        if decision.status not in ("auto_resolving", "awaiting_approval"):
            await self.decided(
                event,
                decision.status,
                decision.reason,
                strategy=decision.strategy,
                safety_level=decision.safety_level,
                gate=decision.gate,
                details=dict(decision.details),
            )
            return
        assert entry is not None
        assert decision.strategy is not None
        attempt = Attempt(
            attempt_id=attempt_id,
            fingerprint=data.fingerprint,
            strategy=decision.strategy,
            status="new",
            created_at=now,
            updated_at=now,
            correlation_id=event.correlationid,
            summary=summary.model_dump(mode="json"),
            safety_level=decision.safety_level,
            context={
                "category": data.category,
                "title": data.error.title,
                "severity": data.severity.value,
                "environment": data.error.environment,
                "service": data.error.service,
                "confidence": data.confidence,
            },
            rate_before=max(data.frequency.last_hour, 1) / 60.0,
        )
        if decision.status == "awaiting_approval":
            attempt.expires_at = now + self.config.approval_timeout_seconds
            await self.emit(
                attempt,
                "awaiting_approval",
                decision.reason,
                details={"expires_at": attempt.expires_at},
            )
            return
        await self.emit(attempt, "auto_resolving", decision.reason)
        await self.run_attempt(attempt, entry, state)

    def _done_once(self, fingerprint: str, entry: CatalogEntry) -> bool:
        strategy = self.strategies.get(entry.executor)
        if strategy is None or not strategy.once_per_problem:
            return False
        return any(
            a.status in ("executing", "verifying", "succeeded")
            and self.config.catalog.get(a.strategy) == entry
            for a in self.store.attempts_for(fingerprint)
        )

    # -- running an attempt --------------------------------------------------------------------
    def _context(self, attempt: Attempt, entry: CatalogEntry) -> ErrorContext:
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

    async def run_attempt(self, attempt: Attempt, entry: CatalogEntry, state: GateState) -> None:
        now = self.clock()
        strategy = self.strategies[entry.executor]
        candidate = attempt.candidate()
        record_start(attempt.strategy, entry, candidate, self.config.policy, state, now)
        self.store.save_gate_state(state)
        await self.emit(attempt, "executing", f"running {entry.executor} on {entry.target_key()}")
        context = self._context(attempt, entry)
        result = await self._execute(strategy, context)
        attempt.result = {
            "success": result.success,
            "message": result.message,
            "details": dict(result.details),
            "rollback_data": dict(result.rollback_data),
        }
        await self.publisher.publish(
            AUDIT,
            audit(
                cause=attempt.attempt_id,
                correlation_id=attempt.correlation_id,
                fingerprint=attempt.fingerprint,
                action=attempt.strategy,
                target=entry.target_key(),
                outcome="succeeded" if result.success else "failed",
                details={"executor": entry.executor, "message": result.message},
            ),
            key=attempt.fingerprint,
        )
        if not result.success:
            state.breaker(limit_key(attempt.strategy, entry)).record(success=False, now=now)
            self.store.save_gate_state(state)
            await self.emit(attempt, "failed", result.message)
            return
        attempt.verify_until = self.clock() + entry.verify_minutes * 60
        await self.emit(
            attempt, "verifying", f"{result.message}; watching for {entry.verify_minutes:g} minutes"
        )

    async def _execute(self, strategy: ResolutionStrategy, context: ErrorContext) -> StrategyResult:
        try:
            if not await strategy.validate(context):
                return StrategyResult(success=False, message=f"{strategy.name} does not apply")
            return await asyncio.wait_for(
                strategy.execute(context), self.config.execution_timeout_seconds
            )
        except TimeoutError:
            return StrategyResult(success=False, message=f"{strategy.name} timed out")
        except Exception as exc:  # noqa: BLE001 - a strategy's bug is a failed attempt, not a crash
            return StrategyResult(success=False, message=f"{strategy.name} raised {exc!r}")

    # -- timers --------------------------------------------------------------------------------
    async def tick(self) -> None:
        """Expire approvals and settle verifications that are due."""
        now = self.clock()
        for attempt in self.store.with_status("awaiting_approval"):
            if attempt.expires_at is not None and attempt.expires_at <= now:
                await self.emit(attempt, "expired", "no approval in time")
        for attempt in self.store.with_status("verifying"):
            if attempt.verify_until is not None and attempt.verify_until <= now:
                await self._settle(attempt)

    async def _settle(self, attempt: Attempt) -> None:
        entry = self.config.catalog.get(attempt.strategy)
        if entry is None or entry.executor not in self.strategies:
            await self.emit(attempt, "failed", "its strategy is no longer configured")
            return
        strategy = self.strategies[entry.executor]
        result = StrategyResult(
            success=True, **{k: attempt.result.get(k, {}) for k in ("details", "rollback_data")}
        )
        context = self._context(attempt, entry)
        try:
            own = await strategy.verify(context, result)
        except Exception as exc:  # noqa: BLE001
            log.error("strategy verify raised", error=repr(exc))
            own = False
        outcome = verdict(
            rate_before=attempt.rate_before,
            seen=attempt.seen_during_verify,
            window_minutes=entry.verify_minutes,
            drop_ratio=self.config.drop_ratio,
            strategy_says=own,
        )
        state = self.gates()
        state.breaker(limit_key(attempt.strategy, entry)).record(
            success=outcome.worked, now=self.clock()
        )
        self.store.save_gate_state(state)
        if outcome.worked:
            await self.emit(attempt, "succeeded", outcome.reason)
            return
        await self.emit(attempt, "failed", outcome.reason)
        if self.config.automatic_rollback and strategy.can_roll_back:
            await self.roll_back(attempt, entry, actor=None)

    async def roll_back(self, attempt: Attempt, entry: CatalogEntry, *, actor: Any) -> None:
        strategy = self.strategies[entry.executor]
        result = StrategyResult(
            success=bool(attempt.result.get("success")),
            details=attempt.result.get("details", {}),
            rollback_data=attempt.result.get("rollback_data", {}),
        )
        try:
            undone = await strategy.rollback(self._context(attempt, entry), result)
        except Exception as exc:  # noqa: BLE001
            undone = StrategyResult(success=False, message=f"rollback raised {exc!r}")
        await self.publisher.publish(
            AUDIT,
            audit(
                cause=attempt.attempt_id,
                correlation_id=attempt.correlation_id,
                fingerprint=attempt.fingerprint,
                action=f"rollback:{attempt.strategy}",
                target=entry.target_key(),
                outcome="succeeded" if undone.success else "failed",
                actor=actor or SERVICE_ACTOR,
                details={"message": undone.message},
            ),
            key=attempt.fingerprint,
        )
        if undone.success:
            await self.emit(attempt, "rolled_back", undone.message, actor=actor)
        else:
            log.error("rollback failed", attempt_id=attempt.attempt_id, message=undone.message)

    async def recover(self) -> None:
        """At start-up: attempts left ``executing`` by a crash failed with an unknown outcome."""
        for attempt in self.store.with_status("executing"):
            await self.emit(
                attempt, "failed", "interrupted while executing; outcome unknown, not run again"
            )
