"""Commands from people: approve, reject, roll back, retry, snooze. Each carries its actor and is
refused (and audited as refused) unless the actor is one of ``auto_resolution.operators``.
``ack``, ``escalate``, ``resolve`` and ``create_issue`` belong to the notifier and are ignored."""

from __future__ import annotations

import dataclasses
from typing import Any, Literal

import structlog

from services.resolver.engine import PEOPLE_ACTIONS, ResolverEngine
from services.resolver.events import audit
from services.resolver.gates import decide
from services.resolver.store import Attempt
from shared.events import Command
from shared.topics import AUDIT

log = structlog.get_logger(__name__)

ROLLBACKABLE = ("verifying", "succeeded", "failed")
RETRYABLE = ("failed", "rejected", "expired", "rolled_back")


async def _audit(
    engine: ResolverEngine, event: Command, outcome: Literal["succeeded", "refused"], **fields: Any
) -> None:
    """The audit record of a person's command, keyed and correlated like the command."""
    data = event.data
    record = audit(
        cause=event.id,
        correlation_id=event.correlationid,
        fingerprint=data.fingerprint,
        action=data.action,
        outcome=outcome,
        actor=data.actor,
        **fields,
    )
    await engine.publisher.publish(AUDIT, record, key=data.fingerprint)


def authorised(engine: ResolverEngine, actor_id: str) -> bool:
    operators = engine.config.operators
    return "*" in operators or actor_id in operators


async def handle_command(engine: ResolverEngine, event: Command) -> None:
    data = event.data
    if data.action not in PEOPLE_ACTIONS:
        return
    if not authorised(engine, data.actor.id):
        log.warning("command refused", action=data.action, actor=data.actor.id)
        await _audit(
            engine,
            event,
            "refused",
            target=data.attempt_id,
            details={"reason": "the actor is not an operator"},
        )
        return
    if data.action == "snooze":
        until = engine.clock() + (data.snooze_seconds or 3600)
        engine.store.snooze(data.fingerprint, until)
        await _audit(engine, event, "succeeded", details={"until": until})
        return
    if data.action == "retry":
        await _retry(engine, event)
        return
    attempt = engine.store.attempt(data.attempt_id or "")
    if attempt is None or attempt.fingerprint != data.fingerprint:
        log.warning("command for an unknown attempt", attempt_id=data.attempt_id)
        return
    entry = engine.config.catalog.get(attempt.strategy)
    if data.action == "reject" and attempt.status == "awaiting_approval":
        await engine.emit(attempt, "rejected", data.reason or "rejected", actor=data.actor)
    elif data.action == "approve" and attempt.status == "awaiting_approval":
        if attempt.expires_at is not None and attempt.expires_at <= engine.clock():
            await engine.emit(attempt, "expired", "the approval came too late")
        elif entry is None:
            await engine.emit(attempt, "failed", "its strategy is no longer configured")
        else:
            await _approve(engine, attempt, event)
    elif data.action == "rollback" and attempt.status in ROLLBACKABLE and entry is not None:
        # Rollback stays possible while verifying and for the rollback window after the outcome.
        window = engine.config.rollback_window_seconds
        if attempt.status != "verifying" and engine.clock() - attempt.updated_at > window:
            await _audit(
                engine,
                event,
                "refused",
                target=attempt.attempt_id,
                details={"reason": f"past the rollback window of {window:g} s"},
            )
            return
        await engine.roll_back(attempt, entry, actor=data.actor)
    else:
        log.info("command does not apply", action=data.action, status=attempt.status)


async def _approve(engine: ResolverEngine, attempt: Attempt, event: Command) -> None:
    """Approval lifts only the approval gate: limits, breaker, cap and dry run still hold."""
    entry = engine.config.catalog[attempt.strategy]
    state = engine.gates()
    state.running.discard(attempt.fingerprint)
    candidate = attempt.candidate()
    policy = engine.config.policy
    lifted = dataclasses.replace(policy, auto_approve_up_to="dangerous")
    decision = decide(
        candidate,
        entry=entry,
        safety_level=engine.level_of(entry),
        policy=lifted,
        state=state,
        now=engine.clock(),
    )
    await engine.emit(
        attempt, "approved", f"approved by {event.data.actor.id}", actor=event.data.actor
    )
    if decision.status != "auto_resolving":
        await engine.emit(attempt, "skipped", decision.reason, gate=decision.gate)
        return
    await engine.run_attempt(attempt, entry, state)


async def _retry(engine: ResolverEngine, event: Command) -> None:
    data = event.data
    previous = next(
        (a for a in engine.store.attempts_for(data.fingerprint) if a.status in RETRYABLE), None
    )
    if previous is None or previous.strategy not in engine.config.catalog:
        log.info("nothing to retry", fingerprint=data.fingerprint)
        return
    attempt_id = "att_" + event.id
    if engine.store.attempt(attempt_id) is not None:
        return
    now = engine.clock()
    attempt = dataclasses.replace(
        previous,
        attempt_id=attempt_id,
        status="new",
        created_at=now,
        updated_at=now,
        expires_at=now + engine.config.approval_timeout_seconds,
        verify_until=None,
        seen_during_verify=0,
        result={},
        history=[],
    )
    await engine.emit(
        attempt,
        "awaiting_approval",
        f"retry of {previous.attempt_id} requested by {data.actor.id}",
        actor=data.actor,
    )
    await _approve(engine, attempt, event)
