"""A decision for every classified error, a batch at a time.

In one transaction: lock the global gates, set aside the events already decided (a
redelivery), count occurrences seen while a fix is being verified, decide each event through
every gate (an attempt that may run is queued as work for :mod:`services.resolver.execution`;
one that needs a person waits for approval), save, and store each decision's events with it.
After the commit, publish them (and those of the redelivered events, again: same ids, same
content). Strategies never run here: the consumer is never held by a fix.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import structlog
from sqlalchemy.ext.asyncio import AsyncConnection

from services.resolver import store, tables
from services.resolver.catalog import CatalogEntry
from services.resolver.engine import ResolverEngine
from services.resolver.events import audit, resolution, summary_of
from services.resolver.gates import Candidate, Decision, GateState, decide, record_start
from services.resolver.metrics import count_published
from services.resolver.store import Attempt
from services.resolver.strategy import ResolutionStrategy
from shared.events import (
    ClassifiedError,
    Facts,
    ResolutionStatus,
    SilenceData,
    derived_event_id,
    silencing,
)
from shared.kafka.producer import Output
from shared.storage import read_together
from shared.storage import silences as kept_silences
from shared.topics import AUDIT, RESOLUTIONS

log = structlog.get_logger(__name__)

#: Statuses after which a once-per-problem strategy does not run again for that problem.
RAN = ("auto_resolving", "approved", "executing", "verifying", "succeeded")


def attempt_id_of(classified_id: str) -> str:
    """The id of the attempt the classified error ``classified_id`` starts."""
    return "att_" + derived_event_id(classified_id, "attempt")


def runs_once(strategies: Mapping[str, ResolutionStrategy], entry: CatalogEntry) -> bool:
    """Whether ``entry``'s strategy runs at most once per problem."""
    strategy = strategies.get(entry.executor)
    return strategy is not None and strategy.once_per_problem


def already_ran(
    catalog: Mapping[str, CatalogEntry], entry: CatalogEntry, attempts: Iterable[tuple[str, str]]
) -> bool:
    """Whether one of a problem's ``attempts`` (strategy name, status) ran ``entry``."""
    return any(status in RAN and catalog.get(name) == entry for name, status in attempts)


def decision(
    engine: ResolverEngine,
    event: ClassifiedError,
    status: ResolutionStatus,
    reason: str,
    **fields: object,
) -> Output:
    """The decision on ``event`` that starts no attempt."""
    data = event.data
    return Output(
        RESOLUTIONS,
        resolution(
            cause=event.id,
            correlation_id=event.correlationid,
            fingerprint=data.fingerprint,
            status=status,
            summary=summary_of(data),
            reason=reason,
            dry_run=engine.config.policy.dry_run,
            **fields,  # type: ignore[arg-type]
        ),
        data.fingerprint,
    )


async def decide_batch(engine: ResolverEngine, events: Sequence[ClassifiedError]) -> None:
    """Decide, commit, publish; the next batch's transaction marks them published. The
    decision's events are stored with it: an event redelivered before its decision was marked
    published (its batch committed, then the process stopped) publishes those same events
    again, never a second, different decision; one redelivered after (a rebalance before the
    offsets were committed) publishes nothing."""
    marking = engine.unmarked[:]
    async with engine.database.transaction() as db:
        state = await engine.gates(db)
        await store.mark_published(db, marking)  # after the gates' lock, as every writer
        in_force, decided, checking = await read_together(
            db,
            [
                kept_silences.active_read(tables.silences, engine.now()),
                store.decided_read(e.id for e in events),
                store.verifying_read(e.data.fingerprint for e in events),
            ],
        )
        silences = kept_silences.active_from(in_force)
        earlier = store.decided_from(decided)
        # One decision per event id, in batch order (a batch may carry an event twice).
        fresh = list({e.id: e for e in events if e.id not in earlier}.values())
        problems = {e.data.fingerprint for e in fresh}
        watched = {
            a.attempt_id: a for a in store.attempts_from(checking) if a.fingerprint in problems
        }
        published: dict[str, list[Output]] = {}
        created: list[Attempt] = []
        for event in fresh:
            for attempt in watched.values():
                if attempt.fingerprint == event.data.fingerprint:
                    attempt.seen_during_verify += 1
            published[event.id] = await _decide_one(engine, db, event, state, created, silences)
        await store.save_gates(db, state)
        await store.mark_decided(db, published, engine.now())
        await engine.commit(db, [], *watched.values(), *created)
    again = [o for e in events if e.id in earlier for o in earlier[e.id]]
    new = [o for outs in published.values() for o in outs]
    del engine.unmarked[: len(marking)]
    await engine.publisher.publish_many([*again, *new])
    count_published(new)
    engine.unmarked.extend(e.id for e in events if earlier.get(e.id))
    engine.unmarked.extend(published)
    if again:  # a redelivery
        log.info(
            "classified events already decided; their decisions published again",
            events=len({e.id for e in events if e.id in earlier}),
        )


async def _decide_one(
    engine: ResolverEngine,
    db: AsyncConnection,
    event: ClassifiedError,
    state: GateState,
    created: list[Attempt],
    silences: list[SilenceData],
) -> list[Output]:
    data, now, config = event.data, engine.now(), engine.config
    if data.error.status == "resolved":
        reason = f"resolved by source ({data.error.origin})"
        return [decision(engine, event, "resolved_by_source", reason)]
    facts = Facts(
        fingerprint=data.fingerprint,
        service=data.error.service,
        environment=data.error.environment,
        category=data.category,
        pattern_id=data.pattern_id,
    )
    if (silence := silencing(silences, facts, kept_silences.at(now))) is not None:
        return _silenced(engine, event, silence)
    if not config.enabled:
        reason = "automatic resolution is off (components.auto_resolution_enabled)"
        return [decision(engine, event, "suppressed", reason, strategy=data.resolution_strategy)]
    entry = config.catalog.get(data.resolution_strategy or "")
    if entry is not None and await done_once(engine, db, data.fingerprint, entry, created):
        reason = f"{entry.executor} already ran for this problem"
        return [decision(engine, event, "suppressed", reason, strategy=data.resolution_strategy)]
    candidate = Candidate(
        data.fingerprint, data.resolution_strategy, data.confidence, data.error.environment
    )
    decided = decide(
        candidate,
        entry=entry,
        safety_level=engine.level_of(entry),
        policy=config.policy,
        state=state,
        now=now,
    )
    if decided.status not in ("auto_resolving", "awaiting_approval"):
        return [decision(engine, event, decided.status, decided.reason, **decided.event_fields())]
    assert entry is not None
    assert decided.strategy is not None
    attempt = Attempt(
        attempt_id=attempt_id_of(event.id),
        fingerprint=data.fingerprint,
        strategy=decided.strategy,
        status="new",
        created_at=now,
        updated_at=now,
        correlation_id=event.correlationid,
        summary=summary_of(data).model_dump(mode="json"),
        safety_level=decided.safety_level,
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
    if entry.fallback:  # the strategies to try next when this one fails (resolver.fallback)
        attempt.context["fallback"] = list(entry.fallback)
    created.append(attempt)
    return [start(engine, attempt, entry, decided, state)]


def _silenced(engine: ResolverEngine, event: ClassifiedError, silence: SilenceData) -> list[Output]:
    """Suppressed by ``silence``: the decision, and its record on ``audit``."""
    data = event.data
    details = {"silence_id": silence.silence_id}
    record = audit(
        cause=event.id,
        correlation_id=event.correlationid,
        fingerprint=data.fingerprint,
        action="silenced",
        outcome="succeeded",
        target=data.resolution_strategy,
        details={**details, "what": "automatic resolution", "reason": silence.reason},
    )
    return [
        decision(
            engine,
            event,
            "suppressed",
            silence.describe(),
            strategy=data.resolution_strategy,
            details=details,
        ),
        Output(AUDIT, record, data.fingerprint),
    ]


def start(
    engine: ResolverEngine,
    attempt: Attempt,
    entry: CatalogEntry,
    decided: Decision,
    state: GateState,
) -> Output:
    """Start ``attempt`` as the gates decided: wait for approval, or queue it to run now."""
    if decided.status == "awaiting_approval":
        attempt.expires_at = engine.now() + engine.config.approval_timeout_seconds
        details = {"expires_at": attempt.expires_at}
        return engine.transition(attempt, "awaiting_approval", decided.reason, details=details)
    queue(engine, attempt, entry, state)
    return engine.transition(attempt, "auto_resolving", decided.reason)


def queue(engine: ResolverEngine, attempt: Attempt, entry: CatalogEntry, state: GateState) -> None:
    """Count ``attempt`` against every limit now and leave its execution to a worker."""
    record_start(
        attempt.strategy, entry, attempt.candidate(), engine.config.policy, state, engine.now()
    )
    attempt.work = "execute"


async def done_once(
    engine: ResolverEngine,
    db: AsyncConnection,
    fingerprint: str,
    entry: CatalogEntry,
    created: Sequence[Attempt],
) -> bool:
    if not runs_once(engine.strategies, entry):
        return False
    mine = [a for a in created if a.fingerprint == fingerprint]
    attempts = [*mine, *await store.for_problem(db, fingerprint)]
    return already_ran(engine.config.catalog, entry, ((a.strategy, a.status) for a in attempts))


async def mark_published(engine: ResolverEngine) -> None:
    """Mark the decisions published since the last batch (on stopping: nothing is left for a
    redelivery to publish again)."""
    marking = engine.unmarked[:]
    if marking:
        async with engine.database.transaction() as db:
            await store.mark_published(db, marking)
        del engine.unmarked[: len(marking)]
