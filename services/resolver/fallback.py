"""The next strategy when one fails: a catalog entry's ``fallback`` list, tried in order.

An attempt whose strategy failed (its execution failed, or its verification failed and nothing
is left to roll back) or was rolled back after a failed verification ends; in the same
transaction the next strategy of the list is decided through the same gates as any other
(once per problem, snooze, confidence, forbidden, breaker, rate limits, concurrency cap,
approval, dry run). A strategy a gate stops is recorded as that decision and the one after it is
tried; the first one that may run becomes a new attempt. The event that ends the attempt says
what comes next (``details.fallback``), or, when nothing is left, that every strategy of the
list was tried (``details.fallbacks_exhausted``, with ``details.tried``): the notifier escalates
on it. A rollback a person asked for, a failed rollback and an interrupted execution end the
list: nothing more runs on a problem in an unknown state; nor on a silenced one (the ending
event names the silence).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from services.resolver import tables
from services.resolver.decisions import done_once, start
from services.resolver.engine import ResolverEngine
from services.resolver.events import resolution
from services.resolver.gates import Decision, GateState, decide
from services.resolver.store import ACTIVE, Attempt
from shared.events import Actor, Facts, ResolutionStatus, derived_event_id, silencing
from shared.kafka.producer import Output
from shared.storage import silences as kept_silences
from shared.topics import RESOLUTIONS


def remaining(attempt: Attempt) -> list[str]:
    """The strategies still to try after ``attempt``'s, in order."""
    return [str(name) for name in attempt.context.get("fallback", [])]


def tried(attempt: Attempt) -> list[str]:
    """The strategies tried for the problem so far, ``attempt``'s last."""
    return [*(str(name) for name in attempt.context.get("tried", [])), attempt.strategy]


async def end(
    engine: ResolverEngine,
    db: AsyncConnection,
    state: GateState,
    attempt: Attempt,
    status: ResolutionStatus,
    reason: str,
    *,
    actor: Actor | None = None,
) -> tuple[list[Output], list[Attempt]]:
    """Move ``attempt`` to ``status`` (``failed`` or ``rolled_back``) and start the next
    strategy of its list that the gates let through: the events, and the new attempt to save."""
    if "fallback" not in attempt.context:  # no list: the attempt simply ends
        return [engine.transition(attempt, status, reason, actor=actor)], []
    if attempt.status in ACTIVE:  # else another attempt holds the problem (e.g. after a rollback)
        state.running.discard(attempt.fingerprint)
    skipped: list[Output] = []
    names = remaining(attempt)
    done = tried(attempt)
    silences = await kept_silences.active(db, tables.silences, engine.now())
    silence = silencing(silences, _facts(attempt), kept_silences.at(engine.now()))
    if silence is not None and names:  # nothing more runs on a silenced problem
        why = f"{reason}; {names[0]} and the rest of the list not tried: {silence.describe()}"
        held = {"silence_id": silence.silence_id}
        return [engine.transition(attempt, status, why, actor=actor, details=held)], []
    while names:
        name = names.pop(0)
        tried_now = await _try(engine, db, state, attempt, name, names, done)
        if isinstance(tried_now, Output):
            skipped.append(tried_now)
            done.append(name)
            continue
        started, decided = tried_now
        why = f"{reason}; trying {name} next"
        ended = engine.transition(attempt, status, why, actor=actor, details={"fallback": name})
        entry = engine.config.catalog[name]
        return [ended, *skipped, start(engine, started, entry, decided, state)], [started]
    details: dict[str, Any] = {"fallbacks_exhausted": True, "tried": done}
    why = f"{reason}; every strategy in the list was tried ({', '.join(done)})"
    return [engine.transition(attempt, status, why, actor=actor, details=details), *skipped], []


def _facts(attempt: Attempt) -> Facts:
    c = attempt.context
    return Facts(
        fingerprint=attempt.fingerprint,
        service=c.get("service"),
        environment=c.get("environment"),
        category=c.get("category"),
        pattern_id=attempt.summary.get("pattern_id"),
    )


async def _try(
    engine: ResolverEngine,
    db: AsyncConnection,
    state: GateState,
    ended: Attempt,
    name: str,
    after: Sequence[str],
    done: Sequence[str],
) -> tuple[Attempt, Decision] | Output:
    """A new attempt for ``name`` and its decision when the gates let it through, else the
    decision that stopped it."""
    config, now = engine.config, engine.now()
    entry = config.catalog.get(name)
    level = engine.level_of(entry)

    def stopped(status: ResolutionStatus, why: str, **fields: Any) -> Output:
        event = resolution(
            cause=derived_event_id(ended.attempt_id, "fallback", name),
            correlation_id=ended.correlation_id,
            fingerprint=ended.fingerprint,
            status=status,
            summary=ended.summary,
            reason=f"fallback after {ended.strategy}: {why}",
            strategy=name,
            dry_run=config.policy.dry_run,
            **fields,
        )
        return Output(RESOLUTIONS, event, ended.fingerprint)

    if entry is not None and await done_once(engine, db, ended.fingerprint, entry, ()):
        return stopped("suppressed", f"{entry.executor} already ran for this problem")
    candidate = dataclasses.replace(ended.candidate(), strategy=name)
    decided = decide(
        candidate, entry=entry, safety_level=level, policy=config.policy, state=state, now=now
    )
    if decided.status not in ("auto_resolving", "awaiting_approval"):
        return stopped(
            decided.status,
            decided.reason,
            safety_level=decided.safety_level,
            gate=decided.gate,
            details=dict(decided.details),
        )
    started = ended.follow_up(
        "att_" + derived_event_id(ended.attempt_id, "fallback", name),
        now,
        strategy=name,
        safety_level=level,
        context={**ended.context, "fallback": list(after), "tried": list(done)},
    )
    return started, decided
