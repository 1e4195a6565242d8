"""What time decides: claims that lapsed (their replica died), approvals that expired,
verifications that are due. Each change is written and published in one transaction; two
replicas never settle one attempt twice (rows are locked, and re-read under the lock)."""

from __future__ import annotations

import structlog

from services.resolver import fallback, store
from services.resolver.engine import ResolverEngine
from services.resolver.gates import limit_key
from services.resolver.store import Attempt
from services.resolver.verification import verdict
from shared.kafka.producer import Output

log = structlog.get_logger(__name__)

INTERRUPTED = "interrupted while executing; outcome unknown, not run again"


async def tick(engine: ResolverEngine) -> None:
    await recover(engine)
    await expire(engine)
    for attempt in await _due_verifications(engine):
        await settle(engine, attempt)


async def recover(engine: ResolverEngine) -> None:
    """Work whose claim lapsed: an execution failed with an unknown outcome (never re-run), a
    rollback likewise (audited as failed)."""
    async with engine.database.transaction() as db:
        await engine.gates(db)
        lapsed = await store.lapsed(db, engine.now())
        outputs: list[Output] = []
        for attempt in lapsed:
            outputs.extend(_interrupted(engine, attempt))
            attempt.work = attempt.owner = attempt.lease_until = None
        await engine.commit(db, outputs, *lapsed)
    if lapsed:
        log.warning("work of a replica that stopped was interrupted", attempts=len(lapsed))


def _interrupted(engine: ResolverEngine, attempt: Attempt) -> list[Output]:
    if attempt.work == "execute":
        return [engine.transition(attempt, "failed", INTERRUPTED)]
    entry = engine.config.catalog.get(attempt.strategy)
    message = "interrupted while rolling back; outcome unknown, not run again"
    attempt.rollback_by = None
    return [
        engine.audited(
            attempt,
            f"rollback:{attempt.strategy}",
            "failed",
            target=entry.target_key() if entry else None,
            details={"message": message},
        )
    ]


async def expire(engine: ResolverEngine) -> None:
    """Approvals nobody gave in time; an expired strategy of a fallback list lets the next one
    be tried."""
    async with engine.database.transaction() as db:
        state = await engine.gates(db)
        expired = await store.due(db, "awaiting_approval", "expires_at", engine.now())
        outputs: list[Output] = []
        following: list[Attempt] = []
        for attempt in expired:
            ended, started = await fallback.end(
                engine, db, state, attempt, "expired", "no approval in time"
            )
            outputs += ended
            following += started
        await store.save_gates(db, state)
        await engine.commit(db, outputs, *expired, *following)


async def _due_verifications(engine: ResolverEngine) -> list[Attempt]:
    async with engine.database.transaction() as db:
        return await store.due(db, "verifying", "verify_until", engine.now())


async def settle(engine: ResolverEngine, attempt: Attempt) -> None:
    """Ask the strategy (outside any transaction: it may call out), then decide under the lock
    on the attempt as it is now; a failed fix is queued for rollback where that is automatic."""
    entry = engine.config.catalog.get(attempt.strategy)
    strategy = engine.strategies.get(entry.executor) if entry else None
    own: bool | None = None
    if entry is not None and strategy is not None:
        try:
            own = await strategy.verify(
                engine.context_of(attempt, entry), engine.result_of(attempt)
            )
        except Exception as exc:  # noqa: BLE001 - a strategy's bug is a failed check
            log.error("strategy verify raised", error=repr(exc), attempt_id=attempt.attempt_id)
            own = False
    async with engine.database.transaction() as db:
        state = await engine.gates(db)
        current = await store.get(db, attempt.attempt_id, lock=True)
        if current is None or current.status != "verifying" or current.work is not None:
            return
        if entry is None or strategy is None:
            failed = engine.transition(current, "failed", "its strategy is no longer configured")
            await engine.commit(db, [failed], current)
            return
        outcome = verdict(
            rate_before=current.rate_before,
            seen=current.seen_during_verify,
            window_minutes=entry.verify_minutes,
            drop_ratio=engine.config.drop_ratio,
            strategy_says=own,
        )
        state.breaker(limit_key(current.strategy, entry)).record(
            success=outcome.worked, now=engine.now()
        )
        following: list[Attempt] = []
        if outcome.worked:
            outputs = [engine.transition(current, "succeeded", outcome.reason)]
        elif engine.config.automatic_rollback and strategy.can_roll_back:
            outputs = [engine.transition(current, "failed", outcome.reason)]
            current.work = "rollback"  # the list goes on once it is rolled back
        else:
            outputs, following = await fallback.end(
                engine, db, state, current, "failed", outcome.reason
            )
        await store.save_gates(db, state)
        await engine.commit(db, outputs, current, *following)
