"""Commands from people: approve, reject, roll back, retry, snooze. Each carries its actor and is
refused (and audited as refused) unless the actor is one of ``auto_resolution.operators``.
``ack``, ``escalate``, ``resolve`` and ``create_issue`` belong to the notifier and are ignored.

A batch of commands is one transaction on the locked gates, each command carried out in order
on what the ones before it changed; an approved attempt (or a rollback) is queued as work for
:mod:`services.resolver.execution`. A redelivered command finds the state it already changed and
does nothing new.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Literal

import structlog
from sqlalchemy.ext.asyncio import AsyncConnection

from services.resolver import fallback, store
from services.resolver.decisions import queue
from services.resolver.engine import PEOPLE_ACTIONS, ResolverEngine
from services.resolver.events import audit
from services.resolver.gates import GateState, decide
from services.resolver.store import Attempt
from shared.events import Command
from shared.kafka.producer import Output
from shared.logging import bound_context
from shared.topics import AUDIT

log = structlog.get_logger(__name__)

ROLLBACKABLE = ("verifying", "succeeded", "failed")
RETRYABLE = ("failed", "rejected", "expired", "rolled_back")


def _audit(
    event: Command,
    outcome: Literal["succeeded", "refused"],
    *,
    target: str | None = None,
    details: Mapping[str, object] | None = None,
) -> Output:
    """The audit record of a person's command, keyed and correlated like the command."""
    data = event.data
    record = audit(
        cause=event.id,
        correlation_id=event.correlationid,
        fingerprint=data.fingerprint,
        action=data.action,
        outcome=outcome,
        actor=data.actor,
        target=target,
        details=dict(details or {}),
    )
    return Output(AUDIT, record, data.fingerprint)


def authorised(engine: ResolverEngine, actor_id: str) -> bool:
    operators = engine.config.operators
    return "*" in operators or actor_id in operators


async def handle_commands(engine: ResolverEngine, events: Sequence[Command]) -> None:
    """A consumed batch: the resolver's commands, those of actors who are not operators
    refused (and audited so), the others carried out."""
    allowed: list[Command] = []
    refused: list[Command] = []
    for event in events:
        if event.data.action in PEOPLE_ACTIONS:
            (allowed if authorised(engine, event.data.actor.id) else refused).append(event)
    for event in refused:
        log.warning("command refused", action=event.data.action, actor=event.data.actor.id)
    why = {"reason": "the actor is not an operator"}
    outputs = [_audit(e, "refused", target=e.data.attempt_id, details=why) for e in refused]
    await apply_commands(engine, allowed, outputs)


async def apply_commands(
    engine: ResolverEngine, events: Sequence[Command], outputs: Sequence[Output] = ()
) -> None:
    """Carry out ``events`` (of actors already authorised) in order, in one transaction, and
    publish what they produced after ``outputs``."""
    if not events:
        if outputs:
            await engine.publisher.publish_many(outputs)
        return
    published = list(outputs)
    async with engine.database.transaction() as db:
        state = await engine.gates(db)
        for event in events:
            with bound_context(
                event_id=event.id, correlation_id=event.correlationid, fingerprint=event.subject
            ):
                produced, changed = await _apply(engine, db, event, state)
            await engine.commit(db, (), *changed)  # the next command reads what this one changed
            published.extend(produced)
        await store.save_gates(db, state)
        await engine.commit(db, published)


async def _apply(
    engine: ResolverEngine, db: AsyncConnection, event: Command, state: GateState
) -> tuple[list[Output], list[Attempt]]:
    data, now = event.data, engine.now()
    if data.action == "snooze":
        until = now + (data.snooze_seconds or 3600)
        await store.snooze(db, data.fingerprint, until)
        return [_audit(event, "succeeded", details={"until": until})], []
    if data.action == "retry":
        return await _retry(engine, db, event, state)
    attempt = await store.get(db, data.attempt_id or "", lock=True)
    if attempt is None or attempt.fingerprint != data.fingerprint:
        log.warning("command for an unknown attempt", attempt_id=data.attempt_id)
        return [], []
    entry = engine.config.catalog.get(attempt.strategy)
    if data.action == "reject" and attempt.status == "awaiting_approval":
        # a person said no: a fallback list ends here, and the notifier escalates
        details = (
            {"fallbacks_exhausted": True, "tried": fallback.tried(attempt)}
            if "fallback" in attempt.context
            else None
        )
        rejected = engine.transition(
            attempt, "rejected", data.reason or "rejected", actor=data.actor, details=details
        )
        return [rejected], [attempt]
    if data.action == "approve" and attempt.status == "awaiting_approval":
        if attempt.expires_at is not None and attempt.expires_at <= now:
            return [engine.transition(attempt, "expired", "the approval came too late")], [attempt]
        if entry is None:
            failed = engine.transition(attempt, "failed", "its strategy is no longer configured")
            return [failed], [attempt]
        return _approve(engine, attempt, event, state), [attempt]
    if (
        data.action == "rollback"
        and attempt.status in ROLLBACKABLE
        and attempt.work is None
        and entry is not None
    ):
        # Rollback stays possible while verifying and for the rollback window after the outcome.
        window = engine.config.rollback_window_seconds
        if attempt.status != "verifying" and now - attempt.updated_at > window:
            why = {"reason": f"past the rollback window of {window:g} s"}
            return [_audit(event, "refused", target=attempt.attempt_id, details=why)], []
        attempt.work = "rollback"
        attempt.rollback_by = data.actor.model_dump(mode="json")
        return [], [attempt]
    log.info("command does not apply", action=data.action, status=attempt.status)
    return [], []


def _approve(
    engine: ResolverEngine, attempt: Attempt, event: Command, state: GateState
) -> list[Output]:
    """Approval lifts only the approval gate: limits, breaker, cap and dry run still hold."""
    entry = engine.config.catalog[attempt.strategy]
    state.running.discard(attempt.fingerprint)
    lifted = dataclasses.replace(engine.config.policy, auto_approve_up_to="dangerous")
    decision = decide(
        attempt.candidate(),
        entry=entry,
        safety_level=engine.level_of(entry),
        policy=lifted,
        state=state,
        now=engine.now(),
    )
    actor = event.data.actor
    outputs = [engine.transition(attempt, "approved", f"approved by {actor.id}", actor=actor)]
    if decision.status != "auto_resolving":
        return [
            *outputs,
            engine.transition(attempt, "skipped", decision.reason, gate=decision.gate),
        ]
    queue(engine, attempt, entry, state)
    return outputs


async def _retry(
    engine: ResolverEngine, db: AsyncConnection, event: Command, state: GateState
) -> tuple[list[Output], list[Attempt]]:
    data = event.data
    previous = next(
        (a for a in await store.for_problem(db, data.fingerprint) if a.status in RETRYABLE), None
    )
    if previous is None or previous.strategy not in engine.config.catalog:
        log.info("nothing to retry", fingerprint=data.fingerprint)
        return [], []
    attempt_id = "att_" + event.id
    if await store.get(db, attempt_id) is not None:
        return [], []
    now = engine.now()
    attempt = previous.follow_up(
        attempt_id, now, expires_at=now + engine.config.approval_timeout_seconds
    )
    reason = f"retry of {previous.attempt_id} requested by {data.actor.id}"
    waiting = engine.transition(attempt, "awaiting_approval", reason, actor=data.actor)
    return [waiting, *_approve(engine, attempt, event, state)], [attempt]
