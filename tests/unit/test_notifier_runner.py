"""The notifier's policy runner and delivery dispatcher on their real store, on both backends:
timers that survive a restart and fire once, steps that never interleave on one alert, and an
outbox that never sends a notification to a target twice."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.notifier import store as notifier_store
from services.notifier.delivery.base import DeliveryResult
from services.notifier.dispatcher import ERROR_BACKOFF, MAX_ATTEMPTS, Dispatcher
from services.notifier.outbox import Outbox
from services.notifier.policy.engine import decide
from services.notifier.policy.inputs import ResolutionInput
from services.notifier.policy.prevention import Ledger
from services.notifier.policy.state import AlertState
from services.notifier.policy_runner import PolicyRunner
from services.notifier.rules_file import load_rules
from services.notifier.store import NotifierStore
from services.notifier.tables import SCHEMA, alerts, policies
from shared.clock import ManualClock
from shared.events import (
    Envelope,
    ErrorSummary,
    Notification,
    NotificationData,
    Resolution,
    ResolutionData,
    Target,
    new_event_id,
)
from shared.kafka.producer import Output
from shared.metrics import REGISTRY
from shared.storage import Database
from shared.storage.migrate import migrate
from tests.commands import command
from tests.notifications import deliver, mid_send

REPO = Path(__file__).resolve().parents[2]
RULES = REPO / "config" / "escalation_rules.yaml"


@dataclass
class Recorder:
    events: list[tuple[str, Envelope]] = field(default_factory=list)
    #: When set, the next publish waits for it: a step is caught half-way.
    gate: asyncio.Event | None = None

    async def publish_many(self, outputs: Sequence[Output]) -> None:
        if self.gate is not None:
            gate, self.gate = self.gate, None
            await gate.wait()
        self.events.extend((o.topic, o.event) for o in outputs)

    def notifications(self) -> list[Notification]:
        return [e for t, e in self.events if isinstance(e, Notification)]

    def escalations(self, since: int = 0) -> list[Notification]:
        """The escalations among the notifications from the ``since``-th on."""
        return [n for n in self.notifications()[since:] if n.data.kind == "escalation"]


async def _open(url: str) -> Database:
    database = Database(url, schemas=[SCHEMA])
    await database.migrate()
    return database


@pytest.fixture
async def database(storage_url: str) -> AsyncIterator[Database]:
    opened = await _open(storage_url)
    yield opened
    await opened.close()


@pytest.fixture
def store(database: Database) -> Outbox:
    return Outbox(database)


def _resolution(
    fp: str, status: str = "no_strategy", severity: str = "critical", attempt_id: str | None = None
) -> Resolution:
    event_id = new_event_id()
    return Resolution(
        id=event_id,
        source="/test",
        subject=fp,
        correlationid=f"corr-{fp}",
        data=ResolutionData(
            fingerprint=fp,
            status=status,
            attempt_id=attempt_id,
            summary=ErrorSummary(
                title="Database connection refused",
                severity=severity,
                category="database",
                environment="production",
                count=3,
            ),
        ),
    )


def _runner(database: Database, recorder: Recorder, clock: ManualClock) -> PolicyRunner:
    return PolicyRunner(
        database=database, publisher=recorder, rules_path=RULES, roles={}, clock=clock
    )


async def _escalations_six_hours_on(
    runner: PolicyRunner, recorder: Recorder, clock: ManualClock
) -> list[Notification]:
    """The escalations ``runner`` publishes on its tick six hours later."""
    before = len(recorder.notifications())
    clock.advance(6 * 3600)
    await runner.tick()
    return recorder.escalations(since=before)


async def test_escalation_timers_survive_a_restart_and_fire_once(storage_url: str) -> None:
    clock, recorder = ManualClock(), Recorder()
    first = await _open(storage_url)
    await _runner(first, recorder, clock).on_resolution(_resolution("fp1"))
    opened = recorder.notifications()
    assert opened, "a critical production error notifies at once"
    assert opened[0].correlationid == "corr-fp1"
    level = opened[0].data.level
    await first.close()

    clock.advance(6 * 3600)  # the process was down while the level's timeout passed
    second = await _open(storage_url)
    runner = _runner(second, recorder, clock)
    await runner.tick()
    escalated = recorder.escalations()
    assert escalated
    assert escalated[0].data.level > level
    before = len(recorder.notifications())
    await runner.tick()
    await runner.tick()
    assert len(recorder.notifications()) == before  # a step fires once
    await second.close()


async def test_two_replicas_ticking_together_fire_a_timer_once(storage_url: str) -> None:
    clock, recorder = ManualClock(), Recorder()
    first, second = await _open(storage_url), await _open(storage_url)
    try:
        await _runner(first, recorder, clock).on_resolution(_resolution("fp-twice"))
        clock.advance(6 * 3600)
        a, b = _runner(first, recorder, clock), _runner(second, recorder, clock)
        await asyncio.gather(a.tick(), b.tick(), a.tick(), b.tick())
        fired = recorder.escalations()
        assert fired
        assert len(fired) == len({n.id for n in fired}), "a timer fired on both replicas"
        level = {"level": str(fired[0].data.level)}
        assert REGISTRY.get_sample_value("alertorch_notifier_escalations_total", level)
    finally:
        await first.close()
        await second.close()


async def test_ack_stops_escalation(database: Database) -> None:
    clock, recorder = ManualClock(), Recorder()
    runner = _runner(database, recorder, clock)
    await runner.on_resolution(_resolution("fp2"))
    await runner.on_commands([command("fp2", "ack")])
    assert not await _escalations_six_hours_on(runner, recorder, clock)


async def test_a_batch_of_commands_is_applied_in_order(database: Database) -> None:
    clock, recorder = ManualClock(), Recorder()
    runner = _runner(database, recorder, clock)
    await runner.on_resolutions([_resolution("fp-b1"), _resolution("fp-b2")])
    batch = [
        command("fp-b1", "ack"),
        command("fp-b2", "ack"),
        command("fp-b1", "snooze"),  # handled after its ack, in the same batch
        command("fp-b2", "approve"),  # the resolver's: not the policy's
    ]
    await runner.on_commands(batch)
    store = NotifierStore(database)
    first, second = await store.alert("fp-b1"), await store.alert("fp-b2")
    assert first is not None
    assert second is not None
    assert first[0].handled_commands == (batch[0].id, batch[2].id)
    assert second[0].status == "acknowledged"
    assert second[0].handled_commands == (batch[1].id,)


async def test_an_ack_during_a_tick_is_applied_after_it_never_lost(database: Database) -> None:
    """A tick is caught publishing an escalation when an ack arrives: the ack waits for the
    tick's transaction, then applies to the state the tick saved (before, the tick's save
    overwrote the ack and escalation went on)."""
    clock, recorder = ManualClock(), Recorder()
    runner = _runner(database, recorder, clock)
    await runner.on_resolution(_resolution("fp-race"))
    clock.advance(6 * 3600)
    gate = recorder.gate = asyncio.Event()
    tick = asyncio.create_task(runner.tick())
    await asyncio.sleep(0.2)  # the tick holds its transaction, waiting on the publish
    ack = asyncio.create_task(runner.on_commands([command("fp-race", "ack")]))
    await asyncio.sleep(0.2)
    gate.set()
    await asyncio.gather(tick, ack)
    known = await NotifierStore(database).alert("fp-race")
    assert known is not None
    assert known[0].status == "acknowledged"
    assert not await _escalations_six_hours_on(runner, recorder, clock)


async def test_approval_requests_carry_the_attempt_and_its_buttons(database: Database) -> None:
    clock, recorder = ManualClock(), Recorder()
    runner = _runner(database, recorder, clock)
    await runner.on_resolution(_resolution("fp3", status="awaiting_approval", attempt_id="att_1"))
    first = recorder.notifications()[0]
    assert first.data.attempt_id == "att_1"
    assert {"approve", "reject"} <= set(first.data.actions)


@dataclass
class FakeTarget:
    """An outside delivery target: answers in turn with the results it is given."""

    answers: list[DeliveryResult]
    calls: int = 0

    async def send_notification(
        self, notification: NotificationData, target: Target
    ) -> DeliveryResult:
        self.calls += 1
        return self.answers.pop(0)

    async def handle_escalation(
        self, notification: NotificationData, target: Target
    ) -> DeliveryResult:
        return await self.send_notification(notification, target)


def _notification(*targets: Target) -> Notification:
    event_id = new_event_id()
    return Notification(
        id=event_id,
        source="/test",
        subject="fp",
        correlationid=event_id,
        data=NotificationData(
            fingerprint="fp",
            kind="new_alert",
            targets=list(targets),
            summary=ErrorSummary(title="t", severity="high"),
        ),
    )


async def test_outbox_sends_once_retries_later_and_fails_permanently(
    store: Outbox,
) -> None:
    clock, recorder = ManualClock(), Recorder()
    flaky = FakeTarget([DeliveryResult.later(30, "429"), DeliveryResult.ok("ts-1")])
    broken = FakeTarget([DeliveryResult.failed("channel_not_found")])
    dispatcher = Dispatcher(
        outbox=store,
        integrations={"chat": flaky, "pager": broken},
        publisher=recorder,
        clock=clock,
    )
    event = _notification(
        Target(type="chat", channel="#a"), Target(type="pager"), Target(type="nowhere")
    )
    await deliver(dispatcher, event)
    await deliver(dispatcher, event)  # a redelivery sends nothing again
    assert (flaky.calls, broken.calls) == (1, 1)
    assert await dispatcher.send_due() == 0
    clock.advance(31)
    assert await dispatcher.send_due() == 1
    assert flaky.calls == 2
    assert await store.counts() == {"sent": 1, "failed": 2}
    outcomes = sorted((e.data.target, e.data.outcome) for _, e in recorder.events)
    assert outcomes == [("chat:#a", "succeeded"), ("nowhere:", "failed"), ("pager:", "failed")]


async def test_rate_limit_waits_never_use_up_attempts(store: Outbox) -> None:
    """A storm answers "wait" far more often than the attempt bound: the page still goes out,
    while errors stay bounded."""
    clock = ManualClock()
    waits = [DeliveryResult.limited(1, "slack rate limit for #a")] * (MAX_ATTEMPTS + 20)
    paced = FakeTarget([*waits, DeliveryResult.ok("ts-1")])
    erroring = FakeTarget([DeliveryResult.later(1, "500")] * (MAX_ATTEMPTS + 20))
    dispatcher = Dispatcher(
        outbox=store,
        integrations={"chat": paced, "pager": erroring},
        publisher=Recorder(),
        clock=clock,
    )
    await deliver(dispatcher, _notification(Target(type="chat", channel="#a")))
    await deliver(dispatcher, _notification(Target(type="pager")))
    for _ in range(MAX_ATTEMPTS + 30):
        clock.advance(2)
        await dispatcher.send_due()
    assert paced.calls == MAX_ATTEMPTS + 21
    assert erroring.calls == MAX_ATTEMPTS
    assert await store.counts() == {"sent": 1, "failed": 1}


@dataclass
class DedupTarget(FakeTarget):
    """A target that deduplicates (as PagerDuty does by dedup_key)."""

    resend_safe = True


async def test_a_send_cut_short_by_a_crash_is_resent_only_where_the_target_deduplicates(
    store: Outbox,
) -> None:
    clock = ManualClock()
    event = _notification(Target(type="chat", channel="#a"), Target(type="pager"))
    lease = clock.time() + 120
    for target in ("chat:#a", "pager:"):
        await mid_send(store, [event], target, lease_until=lease)
    # ... then the process died mid-send; another replica finds the lease run out.
    chat, pager = FakeTarget([DeliveryResult.ok("ts")]), DedupTarget([DeliveryResult.ok("k")])
    dispatcher = Dispatcher(
        outbox=store, integrations={"chat": chat, "pager": pager}, publisher=Recorder(), clock=clock
    )
    await dispatcher.send_due()
    assert await store.counts() == {"sending": 2}, "within its lease the send may still finish"
    clock.advance(121)
    await dispatcher.send_due()
    await deliver(dispatcher, event)  # the notification's redelivery
    assert (chat.calls, pager.calls) == (0, 1)
    assert await store.counts() == {"unknown": 1, "sent": 1}


class BrokenLookup(FakeTarget):
    """A target that can be asked whether a send arrived, but whose asking fails."""

    resend_safe = True
    lookups = 0

    async def reconcile(self, notification: NotificationData, target: Target) -> DeliveryResult:
        self.lookups += 1
        raise RuntimeError("lookup broke")


async def test_a_send_whose_arrival_cannot_be_looked_up_is_not_made_again_blind(
    store: Outbox,
) -> None:
    """The lookup of a send a crash cut short raises: the send waits and asks again (the try
    counts, so a lookup that never works ends the delivery as failed), never sent unknowing."""
    clock = ManualClock()
    event = _notification(Target(type="chat", channel="#a"))
    await mid_send(store, [event], "chat:#a", lease_until=clock.time() + 120)
    chat = BrokenLookup([DeliveryResult.ok("ts")])
    dispatcher = Dispatcher(
        outbox=store, integrations={"chat": chat}, publisher=Recorder(), clock=clock
    )
    clock.advance(121)
    for _ in range(MAX_ATTEMPTS):
        await dispatcher.send_due()
        clock.advance(ERROR_BACKOFF)
    assert (chat.calls, chat.lookups) == (0, MAX_ATTEMPTS)
    assert await store.counts() == {"failed": 1}


async def test_finished_deliveries_are_pruned_by_the_stores_clock(database: Database) -> None:
    clock = ManualClock()
    store = Outbox(database, clock=clock)
    event = _notification(Target(type="chat", channel="#a"))
    [row] = await mid_send(store, [event], "chat:#a", lease_until=0.0)
    row.status = "sent"
    await store.finish([row])
    clock.advance(3600)
    assert await store.prune(clock.time() - 3601) == 0, "younger than the cut-off: kept"
    assert await store.prune(clock.time() - 3599) == 1
    assert await store.counts() == {}


async def test_an_ack_reaches_pagerduty_as_an_acknowledge(database: Database) -> None:
    """The policy's ack update and PagerDuty's mapping agree (the acknowledge is keyed on the
    update's text)."""
    from services.notifier.delivery.pagerduty_events import event_action

    clock, recorder = ManualClock(), Recorder()
    runner = _runner(database, recorder, clock)
    await runner.on_resolution(_resolution("fp-pd"))
    opened = recorder.notifications()
    assert any(t.type == "pagerduty" for t in opened[0].data.targets)
    assert event_action(opened[0].data) == "trigger"
    await runner.on_commands([command("fp-pd", "ack")])
    acks = [
        n
        for n in recorder.notifications()[len(opened) :]
        if any(t.type == "pagerduty" for t in n.data.targets)
    ]
    assert acks
    assert event_action(acks[0].data) == "acknowledge"


async def test_changed_rules_apply_to_new_alerts_and_bad_rules_are_refused(
    database: Database, tmp_path: Path
) -> None:
    rules = tmp_path / "escalation_rules.yaml"
    rules.write_text(RULES.read_text())
    clock, recorder = ManualClock(), Recorder()
    runner = PolicyRunner(
        database=database, publisher=recorder, rules_path=rules, roles={}, clock=clock
    )
    before = runner.policy
    assert runner.reload_if_changed() is False
    rules.write_text(
        RULES.read_text().replace("max_escalation_level: 3", "max_escalation_level: 2")
    )
    assert runner.reload_if_changed() is True
    assert runner.policy.global_settings.max_escalation_level == 2
    kept = runner.policy
    rules.write_text("escalation_levels: [broken\n")
    assert runner.reload_if_changed() is False
    assert runner.policy is kept
    assert kept != before


async def test_the_auditor_fires_only_overdue_timers(database: Database) -> None:
    clock, recorder = ManualClock(), Recorder()
    runner = _runner(database, recorder, clock)
    await runner.on_resolution(_resolution("fp-late"))
    clock.advance(6 * 3600)  # its level's timeout passed while no tick ran
    await runner.on_resolution(_resolution("fp-fresh"))
    before = len(recorder.notifications())
    assert await runner.audit() > 0  # the overdue timers of fp-late
    fired = recorder.notifications()[before:]
    assert {n.data.fingerprint for n in fired} == {"fp-late"}
    assert {n.data.kind for n in fired} == {"escalation"}
    assert await runner.audit() == 0  # a timer fires once


async def test_alerts_opened_before_policies_were_stored_apart_survive_the_upgrade(
    storage_url: str,
) -> None:
    """Revision notifier_0001 kept each state with its whole policy; notifier_0002 moves the
    policy out (stored once by digest). An alert opened before the upgrade escalates after it."""
    clock, recorder = ManualClock(), Recorder()
    old = Database(storage_url, schemas=[])
    await migrate(old.engine, SCHEMA, to="notifier_0001")
    state = _opened_state(clock)
    async with old.transaction() as db:
        await _insert_old_format(db, state, clock)
    await old.close()

    upgraded = await _open(storage_url)
    try:
        async with upgraded.transaction() as db:
            assert (await notifier_store.known(db, ["fp-old"]))["fp-old"] == (state, "corr-old")
            digests = (await db.execute(select(policies.c.digest))).scalars().all()
        assert digests == [state.policy.digest]
        clock.advance(6 * 3600)
        await _runner(upgraded, recorder, clock).tick()
        escalated = recorder.escalations()
        assert [n.data.fingerprint for n in escalated] == ["fp-old"]
        assert escalated[0].correlationid == "corr-old"
    finally:
        await upgraded.close()


async def _insert_old_format(db: AsyncConnection, state: AlertState, clock: ManualClock) -> None:
    """``fp-old`` as a build before notifier_0002 writes it: the policy inside, no digest."""
    await db.execute(
        insert(alerts).values(
            fingerprint="fp-old",
            state=state.model_dump_json(),
            correlation_id="corr-old",
            next_due=min(t.due_at.timestamp() for t in state.timers),
            status=state.status,
            updated_at=clock.time(),
        )
    )


def _opened_state(clock: ManualClock) -> AlertState:
    """What the policy decides for a new critical alert (the pure core, no store)."""
    event = _resolution("fp-old")
    now = datetime.fromtimestamp(clock.time(), UTC)
    outcome = decide(load_rules(RULES), None, ResolutionInput(event.id, event.data), now, Ledger())
    assert outcome.state is not None
    assert outcome.state.timers
    return outcome.state


async def test_a_state_an_older_replica_wrote_after_the_upgrade_is_still_read(
    database: Database,
) -> None:
    """During a rollout a replica of the build before notifier_0002 may still write a state
    with its policy inside and no digest: it is read, escalates, and is stored apart after."""
    clock, recorder = ManualClock(), Recorder()
    state = _opened_state(clock)
    async with database.transaction() as db:
        await _insert_old_format(db, state, clock)
        assert (await notifier_store.known(db, ["fp-old"]))["fp-old"] == (state, "corr-old")
    clock.advance(6 * 3600)
    await _runner(database, recorder, clock).tick()
    escalated = recorder.escalations()
    assert [n.data.fingerprint for n in escalated] == ["fp-old"]
    async with database.transaction() as db:
        digest = (
            await db.execute(select(alerts.c.policy_digest).where(alerts.c.fingerprint == "fp-old"))
        ).scalar_one()
    assert digest == state.policy.digest


async def test_a_fixs_news_also_goes_to_the_resolutions_channel(database: Database) -> None:
    clock, recorder = ManualClock(), Recorder()
    runner = PolicyRunner(
        database=database,
        publisher=recorder,
        rules_path=RULES,
        roles={},
        resolutions_channel="#devops",
        clock=clock,
    )
    await runner.on_resolution(_resolution("fp-fix"))
    await runner.on_resolution(_resolution("fp-fix", status="executing", attempt_id="att_9"))
    await runner.on_resolution(_resolution("fp-fix", status="succeeded", attempt_id="att_9"))
    channels = {
        n.data.kind: {t.channel for t in n.data.targets if t.type == "slack"}
        for n in recorder.notifications()
    }
    assert "#devops" not in channels["new_alert"]
    assert channels["new_alert"]
    for kind in ("resolution_started", "resolved"):  # a succeeded fix closes the problem
        assert channels[kind] == channels["new_alert"] | {"#devops"}, kind


async def test_every_close_reaches_the_issue_trackers(database: Database) -> None:
    """An issue the Create issue button opened (outside any level's targets) is closed too."""
    clock, recorder = ManualClock(), Recorder()
    jira = Target(type="jira")
    runner = PolicyRunner(
        database=database,
        publisher=recorder,
        rules_path=RULES,
        roles={},
        trackers=(jira,),
        clock=clock,
    )
    await runner.on_resolution(_resolution("fp-ticket"))
    await runner.on_resolution(_resolution("fp-ticket", status="resolved_by_source"))
    targets = {n.data.kind: n.data.targets for n in recorder.notifications()}
    assert jira not in targets["new_alert"]
    assert jira in targets["resolved"]


async def test_a_state_read_back_unchanged_is_the_one_its_text_parses_to(
    database: Database,
) -> None:
    # The store keeps the states it wrote and serves one again while its row is unchanged:
    # it must be what parsing the row gives, and a row another writer changed is parsed.
    clock, recorder = ManualClock(), Recorder()
    runner = _runner(database, recorder, clock)
    for n in range(5):  # samples, a failed fix, timers
        status = "failed" if n == 2 else "no_strategy"
        await runner.on_resolution(_resolution("fp-cached", status=status))
        clock.advance(90)
    await runner.tick()
    async with database.transaction() as db:
        [(served, _)] = (await notifier_store.known(db, ["fp-cached"])).values()
        body, digest = (
            await db.execute(
                select(alerts.c.state, alerts.c.policy_digest).where(
                    alerts.c.fingerprint == "fp-cached"
                )
            )
        ).one()
        policy_body = (
            await db.execute(select(policies.c.body).where(policies.c.digest == digest))
        ).scalar_one()
    parsed = AlertState.model_validate({**json.loads(body), "policy": json.loads(policy_body)})
    assert (len(served.samples), len(served.failures)) == (5, 1)
    assert served.timers
    assert served == parsed
    assert served.model_dump_json() == parsed.model_dump_json()
    async with database.transaction() as db:  # another replica's write
        changed = served.model_copy(update={"reason": "written elsewhere"})
        await db.execute(
            alerts.update()
            .where(alerts.c.fingerprint == "fp-cached")
            .values(state=changed.model_dump_json(exclude={"policy"}))
        )
    async with database.transaction() as db:
        [(read, _)] = (await notifier_store.known(db, ["fp-cached"])).values()
    assert read.reason == "written elsewhere"
