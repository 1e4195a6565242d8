"""The console ends silences: one tied to its problem when the problem resolves, one unused for
its time; a used one, and one whose problem resolved before it began, stay."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from services.api import readmodel, silences
from services.api.tables import SCHEMA
from shared.events import Actor, AuditRecord, AuditRecordData, Matchers, Silence
from shared.storage import Database
from tests.storage import migrated
from tests.unit.test_api_projection import classified, notification

T0 = 1_800_000_000.0
ANA = Actor(kind="user", id="U0ANA", name="Ana", via="console")


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    async with migrated(f"sqlite:///{tmp_path / 'api.db'}", SCHEMA) as db:
        yield db


def _silence(starts: float, **fields: object) -> Silence:
    data = silences.new_silence(
        matchers=Matchers.model_validate(fields.pop("matchers")),
        reason="test",
        starts_at=starts,
        ends_at=starts + 86400,
        actor=ANA,
        **fields,  # type: ignore[arg-type]
    )
    return silences.event(data, at=starts)


def _used(silence: Silence, at: float) -> AuditRecord:
    return AuditRecord(
        source="/test",
        subject="fp",
        correlationid="c",
        time=datetime.fromtimestamp(at, UTC),
        data=AuditRecordData(
            fingerprint="fp",
            actor=Actor(kind="service", id="resolver"),
            action="silenced",
            outcome="succeeded",
            details={"silence_id": silence.data.silence_id},
        ),
    )


async def test_silences_end_when_their_problem_resolves_or_they_go_unused(
    database: Database,
) -> None:
    tied = _silence(T0, matchers={"fingerprint": "fp-a"}, until_resolved=True)
    tied_late = _silence(T0, matchers={"fingerprint": "fp-old"}, until_resolved=True)
    idle = _silence(T0, matchers={"service": "web"}, expire_if_unused_seconds=3600)
    busy = _silence(T0, matchers={"service": "api"}, expire_if_unused_seconds=3600)
    async with database.transaction() as db:
        await silences.fold(db, [tied, tied_late, idle, busy])
        await readmodel.project(
            db,
            "errors.classified",
            [classified("fp-a", at=T0 + 1), classified("fp-old", at=T0 - 9)],
        )
        # fp-old resolved before its silence began; fp-a resolves while silenced
        await readmodel.project(
            db,
            "notifications",
            [
                notification("fp-old", at=T0 - 5, kind="resolved"),
                notification("fp-a", at=T0 + 600, kind="resolved"),
            ],
        )
        await silences.record_uses(db, [_used(busy, T0 + 3000)])
        early = await silences.due_to_end(db, T0 + 1800)
        later = await silences.due_to_end(db, T0 + 4000)
    assert [(e.data.silence_id, e.data.ended_reason) for e in early] == [
        (tied.data.silence_id, "the problem resolved")
    ]
    assert {e.data.silence_id: e.data.ended_reason for e in later} == {
        tied.data.silence_id: "the problem resolved",
        idle.data.silence_id: "unused for 3600 s",
    }
    assert all(e.data.state == "expired" for e in later)
    # one id per ending: replicas ending a silence at once publish the same event id
    assert early[0].id in {e.id for e in later}


async def test_an_older_state_arriving_late_changes_nothing(database: Database) -> None:
    made = _silence(T0, matchers={"service": "web"})
    gone = silences.ended(made.data, "ended by Ana", T0 + 60)
    async with database.transaction() as db:
        await silences.fold(db, [gone])
        await silences.fold(db, [made])  # redelivered, older
        listed = await silences.listing(db, state=None, now=T0 + 120)
        ran_out = await silences.listing(db, state="expired", now=T0 + 2 * 86400)
        still = await silences.listing(db, state="active", now=T0 + 2 * 86400)
    assert [s["state"] for s in listed] == ["expired"]
    assert [s["ended_reason"] for s in ran_out] == ["ended by Ana"]
    assert still == []


async def test_a_silence_past_its_end_is_listed_as_expired(database: Database) -> None:
    made = _silence(T0, matchers={"service": "web"})
    async with database.transaction() as db:
        await silences.fold(db, [made])
        during = await silences.listing(db, state="active", now=T0 + 60)
        after = await silences.listing(db, state="active", now=T0 + 86400)
        shown = await silences.listing(db, state=None, now=T0 + 86400)
    assert [s["state"] for s in during] == ["active"]
    assert after == []
    assert [(s["state"], s["ended_reason"]) for s in shown] == [("expired", "its time ran out")]
