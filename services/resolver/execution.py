"""Work off the consumer: executing queued attempts and rolling fixes back.

A worker step renews the claims of the work running in this replica, then claims queued work
(rows locked with ``SKIP LOCKED``: each is claimed by one replica) and starts it as a task. An
attempt is marked ``executing`` in the transaction that claims it, so it never runs twice; a
claim that is not renewed within ``auto_resolution.execution_lease_seconds`` means its replica
died, and :mod:`services.resolver.timers` marks the attempt failed, never re-run. When the work
is done its outcome is written (and published) in one transaction, retried until it lands.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import structlog
from sqlalchemy.ext.asyncio import AsyncConnection

from services.resolver import fallback, store
from services.resolver.engine import ResolverEngine
from services.resolver.events import SERVICE_ACTOR
from services.resolver.gates import GateState, limit_key
from services.resolver.store import Attempt
from services.resolver.strategy import ErrorContext, ResolutionStrategy, StrategyResult
from shared.events import Actor
from shared.kafka.producer import Output

log = structlog.get_logger(__name__)

CLAIM_LIMIT = 50
#: How long a stopping replica lets running work finish before cancelling it.
STOP_GRACE_SECONDS = 10.0
RETRY_CAP_SECONDS = 30.0

#: Events to publish and new attempts to save.
Change = tuple[list[Output], list[Attempt]]
#: Given the transaction, the attempt (locked) and the gate state: its change.
Finish = Callable[[AsyncConnection, Attempt, GateState], Awaitable[Change]]


class Executor:
    def __init__(self, engine: ResolverEngine) -> None:
        self.engine = engine
        self.running: dict[str, asyncio.Task[None]] = {}

    async def step(self) -> None:
        """Renew this replica's claims, then claim and start what is queued."""
        engine, now = self.engine, self.engine.now()
        lease = engine.config.lease_seconds
        async with engine.database.transaction() as db:
            await store.renew(db, engine.replica, self.running, now + lease)
            claimed = await store.claimable(db, limit=CLAIM_LIMIT)
            outputs: list[Output] = []
            for attempt in claimed:
                outputs.extend(self._claim(attempt, now + lease))
            await engine.commit(db, outputs, *claimed)
        for attempt in claimed:
            if attempt.owner == engine.replica:
                task = asyncio.create_task(self._run(attempt), name=attempt.attempt_id)
                self.running[attempt.attempt_id] = task

    def _claim(self, attempt: Attempt, lease_until: float) -> list[Output]:
        engine = self.engine
        entry = engine.config.catalog.get(attempt.strategy)
        if entry is None or entry.executor not in engine.strategies:
            attempt.work = None
            if attempt.status in ("auto_resolving", "approved"):
                return [
                    engine.transition(attempt, "failed", "its strategy is no longer configured")
                ]
            return []
        attempt.owner, attempt.lease_until = engine.replica, lease_until
        if attempt.work != "execute":
            return []
        reason = f"running {entry.executor} on {entry.target_key()}"
        return [engine.transition(attempt, "executing", reason)]

    async def drain(self) -> None:
        """Run steps until nothing is queued or running (the library runs work inline)."""
        while True:
            await self.step()
            if not self.running:
                return
            await asyncio.gather(*self.running.values())

    async def stop(self) -> None:
        """Let running work finish for a while, then cancel it (its claim lapses)."""
        if not self.running:
            return
        _, pending = await asyncio.wait(self.running.values(), timeout=STOP_GRACE_SECONDS)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    async def _run(self, attempt: Attempt) -> None:
        try:
            if attempt.work == "execute":
                await self._execute(attempt)
            else:
                await self._roll_back(attempt)
        finally:
            self.running.pop(attempt.attempt_id, None)

    def _strategy(self, attempt: Attempt) -> ResolutionStrategy:
        entry = self.engine.config.catalog[attempt.strategy]
        return self.engine.strategies[entry.executor]

    async def _execute(self, attempt: Attempt) -> None:
        engine = self.engine
        entry = engine.config.catalog[attempt.strategy]
        result = await run_guarded(
            self._strategy(attempt),
            engine.context_of(attempt, entry),
            engine.config.execution_timeout_seconds,
        )

        def record(current: Attempt) -> Output:
            return engine.audited(
                current,
                current.strategy,
                "succeeded" if result.success else "failed",
                target=entry.target_key(),
                details={"executor": entry.executor, "message": result.message},
            )

        async def finish(db: AsyncConnection, current: Attempt, state: GateState) -> Change:
            now = engine.now()
            current.result = {
                "success": result.success,
                "message": result.message,
                "details": dict(result.details),
                "rollback_data": dict(result.rollback_data),
            }
            if not result.success:
                state.breaker(limit_key(current.strategy, entry)).record(success=False, now=now)
                return await fallback.end(engine, db, state, current, "failed", result.message)
            current.verify_until = now + entry.verify_minutes * 60
            reason = f"{result.message}; watching for {entry.verify_minutes:g} minutes"
            return [engine.transition(current, "verifying", reason)], []

        await self._finish(attempt, record, finish)

    async def _roll_back(self, attempt: Attempt) -> None:
        engine = self.engine
        entry = engine.config.catalog[attempt.strategy]
        actor = Actor.model_validate(attempt.rollback_by) if attempt.rollback_by else None
        try:
            undone = await self._strategy(attempt).rollback(
                engine.context_of(attempt, entry), engine.result_of(attempt)
            )
        except Exception as exc:  # noqa: BLE001 - a strategy's bug is a failed rollback
            undone = StrategyResult(success=False, message=f"rollback raised {exc!r}")

        def record(current: Attempt) -> Output:
            return engine.audited(
                current,
                f"rollback:{current.strategy}",
                "succeeded" if undone.success else "failed",
                target=entry.target_key(),
                actor=actor or SERVICE_ACTOR,
                details={"message": undone.message},
            )

        async def finish(db: AsyncConnection, current: Attempt, state: GateState) -> Change:
            current.rollback_by = None
            if not undone.success:
                log.error("rollback failed", attempt_id=current.attempt_id, message=undone.message)
                return [], []
            if actor is None:  # the automatic rollback of a failed fix: the list goes on
                return await fallback.end(engine, db, state, current, "rolled_back", undone.message)
            return [engine.transition(current, "rolled_back", undone.message, actor=actor)], []

        await self._finish(attempt, record, finish)

    async def _finish(
        self, attempt: Attempt, record: Callable[[Attempt], Output], finish: Finish
    ) -> None:
        """Write the outcome of ``attempt``'s work (its audit record, its new state, and the
        attempt that follows it, if any); retried until it lands (the work itself is never
        repeated)."""
        engine, tries = self.engine, 0
        while True:
            try:
                async with engine.database.transaction() as db:
                    state = await engine.gates(db)
                    current = await store.get(db, attempt.attempt_id, lock=True)
                    if current is None or current.owner != engine.replica:
                        log.warning(
                            "the claim on this work lapsed before it finished; its outcome is "
                            "recorded in the audit only",
                            attempt_id=attempt.attempt_id,
                        )
                        await engine.commit(db, [record(attempt)])
                        return
                    outputs, following = await finish(db, current, state)
                    current.work = current.owner = current.lease_until = None
                    await store.save_gates(db, state)
                    await engine.commit(db, [record(current), *outputs], current, *following)
                return
            except Exception:
                tries += 1
                log.exception(
                    "could not record the outcome; retrying", attempt_id=attempt.attempt_id
                )
                await engine.clock.sleep(min(2.0**tries, RETRY_CAP_SECONDS))


async def run_guarded(
    strategy: ResolutionStrategy, context: ErrorContext, timeout: float
) -> StrategyResult:
    """Run ``strategy``; a refusal, a timeout or an exception is a failed result, never a crash."""
    try:
        if not await strategy.validate(context):
            return StrategyResult(success=False, message=f"{strategy.name} does not apply")
        return await asyncio.wait_for(strategy.execute(context), timeout)
    except TimeoutError:
        return StrategyResult(success=False, message=f"{strategy.name} timed out")
    except Exception as exc:  # noqa: BLE001 - a strategy's bug is a failed attempt, not a crash
        return StrategyResult(success=False, message=f"{strategy.name} raised {exc!r}")
