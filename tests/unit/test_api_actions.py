"""What a person's request becomes: the command, its audit record, and when it cannot be one."""

from __future__ import annotations

import pytest

from services.api import actions
from services.api.actions import NotApplicable, Request
from services.api.projection import Alert
from shared.events import Actor

ALICE = Actor(kind="user", id="U42", name="alice", via="api")


def _alert(status: str | None = None, attempt: str | None = None) -> Alert:
    return Alert(
        fingerprint="fp",
        title="t",
        resolution_status=status,
        resolution_strategy="restart" if attempt else None,
        attempt_id=attempt,
        correlation_id="corr",
    )


def test_the_command_carries_the_actor_and_the_audit_names_it() -> None:
    request = Request(action="snooze", actor=ALICE, snooze_seconds=900, reason="deploying")
    cmd = actions.command(request, _alert(), event_id="c1")
    assert (cmd.id, cmd.subject, cmd.correlationid) == ("c1", "fp", "corr")
    assert cmd.data.actor == ALICE
    assert cmd.data.snooze_seconds == 900
    record = actions.audit(cmd)
    assert record.subject == "fp"
    assert record.data.actor == ALICE
    assert record.data.action == "request:snooze"
    assert record.data.details == {"command_id": "c1", "reason": "deploying"}
    assert actions.audit(cmd).id == record.id  # the same request, the same record


def test_idempotency_keys_give_the_same_command_id() -> None:
    assert actions.command_id("tok", "k1") == actions.command_id("tok", "k1")
    assert actions.command_id("tok", "k1") != actions.command_id("tok", "k2")
    assert actions.command_id("tok", None) != actions.command_id("tok", None)


def test_attempt_actions_default_to_the_latest_attempt() -> None:
    assert actions.attempt_for("approve", _alert("awaiting_approval", "a1"), None) == "a1"
    assert actions.attempt_for("rollback", _alert("succeeded", "a1"), "a0") == "a0"
    assert actions.attempt_for("ack", _alert(), None) is None
    with pytest.raises(NotApplicable, match="no resolution attempt"):
        actions.attempt_for("reject", _alert(), None)


def test_resolve_approves_a_waiting_attempt_or_retries_an_ended_one() -> None:
    assert actions.resolve_plan(_alert("awaiting_approval", "a1"), None) == ("approve", "a1")
    assert actions.resolve_plan(_alert("failed", "a2"), "restart") == ("retry", "a2")
    with pytest.raises(NotApplicable, match="nothing to run"):
        actions.resolve_plan(_alert("no_strategy"), None)
    with pytest.raises(NotApplicable, match="nothing to run"):
        actions.resolve_plan(_alert("executing", "a3"), None)
    with pytest.raises(NotApplicable, match="uses strategy 'restart'"):
        actions.resolve_plan(_alert("failed", "a2"), "scale_up")
