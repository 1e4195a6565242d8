"""The delivery outbox worked off the consumer: queued in one transaction, sent by the worker
in order per problem and target, a storm's updates folded into one send, and rows a stopped
replica queued picked up by another (both storage backends)."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field

import pytest
from sqlalchemy import text

from services.notifier.delivery.base import SEND_LEASE_SECONDS, DeliveryResult
from services.notifier.delivery.folding import fold_updates, runs
from services.notifier.dispatcher import (
    CLAIM_LEASE_SECONDS,
    QUEUED_GRACE_SECONDS,
    RETRY_STEP_SECONDS,
    Dispatcher,
)
from services.notifier.outbox import SENDING, Outbox, Queued
from services.notifier.slack.ratelimit import ChannelLimiter
from services.notifier.tables import SCHEMA
from shared.clock import ManualClock
from shared.events import Notification, NotificationData, Target
from shared.runner.health import HealthState
from shared.runner.periodic import Periodic, run_periodic
from shared.storage import Database
from shared.storage.migrate import migrate
from tests.notifications import Audits, error_summary, notification_data, notification_event

CHAT = Target(type="chat", channel="#a")


@dataclass
class Card:
    """A target that shows a problem's latest state, as a Slack card does: it takes a run of
    updates at once. ``gate``: sends of that problem wait for it."""

    sent: list[tuple[str, str, int]] = field(default_factory=list)  # (problem, kind, count)
    folded: list[int] = field(default_factory=list)
    gate: dict[str, asyncio.Event] = field(default_factory=dict)
    #: problems whose next send is answered "not yet" (as a rate-limited Slack answers)
    busy: set[str] = field(default_factory=set)

    async def send_notification(
        self, notification: NotificationData, target: Target
    ) -> DeliveryResult:
        if (gate := self.gate.get(notification.fingerprint)) is not None:
            await gate.wait()
        if notification.fingerprint in self.busy:
            self.busy.discard(notification.fingerprint)
            return DeliveryResult.limited(5.0, "busy")
        self.sent.append((notification.fingerprint, notification.kind, notification.summary.count))
        return DeliveryResult.ok("ts")

    async def handle_escalation(
        self, notification: NotificationData, target: Target
    ) -> DeliveryResult:
        return await self.send_notification(notification, target)

    async def send_updates(
        self, notifications: Sequence[NotificationData], target: Target
    ) -> DeliveryResult:
        self.folded.append(len(notifications))
        return await self.send_notification(fold_updates(notifications), target)


@dataclass
class Channel:
    """A target that takes one send a channel every ``1 / per_second`` seconds and answers the
    others "not yet" for what is left of that wait: the Slack integration's own limiter. Without
    a limiter it takes every send. It notes when each came."""

    clock: ManualClock
    limiter: ChannelLimiter | None = None
    sent: list[tuple[str, float]] = field(default_factory=list)  # (problem, when)

    async def send_notification(
        self, notification: NotificationData, target: Target
    ) -> DeliveryResult:
        limiter = self.limiter
        if limiter and (wait := limiter.take(str(target.channel), self.clock.time())):
            return DeliveryResult.limited(wait, f"rate limit for {target.channel}")
        self.sent.append((notification.fingerprint, self.clock.time()))
        return DeliveryResult.ok("ts")

    async def handle_escalation(
        self, notification: NotificationData, target: Target
    ) -> DeliveryResult:
        return await self.send_notification(notification, target)


def _event(fp: str, kind: str, count: int, *, text: str = "", level: int = 1) -> Notification:
    summary = error_summary(severity="high", count=count)
    data = notification_data(CHAT, summary, fingerprint=fp, kind=kind, level=level, text=text)
    return notification_event(data)


@pytest.fixture
async def store(storage_url: str) -> AsyncIterator[Outbox]:
    database = Database(storage_url, schemas=[SCHEMA])
    await database.migrate()
    yield Outbox(database)
    await database.close()


def _dispatcher(store: Outbox, card: Card, audit: Audits, *, concurrency: int = 8) -> Dispatcher:
    return Dispatcher(
        outbox=store,
        integrations={"chat": card},
        publisher=audit,
        clock=store.clock,
        concurrency=concurrency,
    )


def test_runs_fold_consecutive_updates_only() -> None:
    kinds = ["new_alert", "update", "update", "escalation", "update", "resolved", "update"]
    cut = runs(kinds, lambda kind: kind == "update")
    assert cut == [
        ["new_alert"],
        ["update", "update"],
        ["escalation"],
        ["update"],
        ["resolved"],
        ["update"],
    ]


def test_a_folded_update_carries_the_latest_count_and_the_highest_level() -> None:
    updates = [
        _event("fp", "update", 3, text="third", level=2).data,
        _event("fp", "update", 5, level=1).data,
        _event("fp", "update", 4, text="", level=1).data,
    ]
    folded = fold_updates(updates)
    assert (folded.summary.count, folded.level, folded.text) == (5, 2, "third")
    with pytest.raises(ValueError, match="nothing to fold"):
        fold_updates([])


async def test_a_storm_of_updates_is_one_send_and_every_row_is_recorded(
    store: Outbox,
) -> None:
    card, audit = Card(), Audits()
    dispatcher = _dispatcher(store, card, audit)
    events = [_event("fp", "new_alert", 1)]
    events += [_event("fp", "update", n) for n in range(2, 502)]
    events += [_event("fp", "resolved", 501)]
    assert await dispatcher.enqueue(events) == 502
    assert await dispatcher.send_queued() == 502
    assert card.sent == [("fp", "new_alert", 1), ("fp", "update", 501), ("fp", "resolved", 501)]
    assert card.folded == [500]
    assert await store.counts() == {"sent": 502}
    assert len(audit.records) == 502, "each notification's delivery is on audit"
    assert sorted({r.data.details.get("folded") for r in audit.records}, key=str) == [500, None]
    # the same batch consumed again (a redelivery): nothing is queued, nothing sent
    assert await dispatcher.enqueue(events) == 0
    assert await dispatcher.send_queued() == 0
    assert len(card.sent) == 3


async def test_a_slow_problem_does_not_hold_up_the_others(store: Outbox) -> None:
    card = Card(gate={"slow": asyncio.Event()})
    dispatcher = _dispatcher(store, card, Audits(), concurrency=2)
    await dispatcher.enqueue([_event("slow", "new_alert", 1), _event("quick", "new_alert", 1)])
    sending = asyncio.create_task(dispatcher.send_queued())
    for _ in range(100):
        if card.sent:
            break
        await asyncio.sleep(0.01)
    assert card.sent == [("quick", "new_alert", 1)]
    card.gate["slow"].set()
    assert await sending == 2
    assert await store.counts() == {"sent": 2}


async def test_sends_a_stopped_replica_queued_are_made_by_another_after_the_grace(
    storage_url: str, store: Outbox
) -> None:
    clock = ManualClock()
    store.clock = clock
    stopped = _dispatcher(store, Card(), Audits())
    await stopped.enqueue([_event("fp", "new_alert", 1), _event("fp", "update", 2)])
    # ... the replica stopped before its worker claimed them
    card = Card()
    other = _dispatcher(store, card, Audits())
    assert await other.send_due() == 0, "within the grace the replica that queued them may"
    clock.advance(QUEUED_GRACE_SECONDS + 1)
    assert await other.send_due() == 2
    assert card.sent == [("fp", "new_alert", 1), ("fp", "update", 2)]
    assert await store.counts() == {"sent": 2}


async def test_a_notification_told_to_wait_holds_back_the_later_ones_of_its_problem(
    store: Outbox,
) -> None:
    """The first alert is answered "not yet": the problem's update and escalation are not sent
    before it (they wait with it, no attempt counted), and all go out in order once it may;
    another problem is not held."""
    clock = ManualClock()
    store.clock = clock
    card = Card(busy={"fp"})
    dispatcher = _dispatcher(store, card, Audits())
    events = [_event("fp", "new_alert", 1), _event("fp", "update", 2)]
    events += [_event("fp", "escalation", 3), _event("other", "new_alert", 1)]
    await dispatcher.enqueue(events)
    assert await dispatcher.send_queued() == 4
    assert card.sent == [("other", "new_alert", 1)]
    assert await store.counts() == {"retry": 3, "sent": 1}
    clock.advance(6)
    assert await dispatcher.send_due() == 3
    assert card.sent[1:] == [("fp", "new_alert", 1), ("fp", "update", 2), ("fp", "escalation", 3)]
    assert await store.counts() == {"sent": 4}


async def test_rows_held_behind_a_retry_follow_it_without_waiting_out_the_grace(
    store: Outbox,
) -> None:
    """A problem's first send is told to wait (a rate limit), and its updates queued meanwhile
    are held behind it: they go out with it as soon as it is due, folded, not a grace period
    later through the rows a stopped replica left (a storm's card fell behind its count)."""
    clock = ManualClock()
    store.clock = clock
    card = Card(busy={"fp"})
    dispatcher = _dispatcher(store, card, Audits())
    await dispatcher.enqueue([_event("fp", "new_alert", 1)])
    assert await dispatcher.send_queued() == 1
    assert card.sent == [], "told to wait 5 s"
    await dispatcher.enqueue([_event("fp", "update", n) for n in range(2, 6)])
    assert await dispatcher.send_queued() == 0, "the updates are held behind the alert"
    clock.advance(6)
    assert QUEUED_GRACE_SECONDS > 6, "the updates are within their grace"
    assert await dispatcher.send_due() == 5
    assert card.sent == [("fp", "new_alert", 1), ("fp", "update", 5)]
    assert card.folded == [4]
    assert await store.counts() == {"sent": 5}


async def test_a_channel_s_backlog_drains_at_its_rate_limit_not_one_send_a_step(
    store: Outbox,
) -> None:
    """Twenty problems' first alerts to one channel that takes ten sends a second (Slack's
    ``per_channel_messages_per_second`` at 10): one goes at once, the others are told to wait
    a tenth of a second, and the retries loop wakes when they are due, so all are sent in about
    two seconds, never faster than the limit; it used to look once a second (nineteen)."""
    clock = ManualClock()
    store.clock = clock
    channel = Channel(clock, ChannelLimiter(per_second=10, per_hour=1000))
    dispatcher = Dispatcher(
        outbox=store, integrations={"chat": channel}, publisher=Audits(), clock=clock
    )
    await dispatcher.enqueue([_event(f"p{n}", "new_alert", 1) for n in range(20)])
    began = clock.time()
    assert await dispatcher.send_queued() == 20
    assert len(channel.sent) == 1
    retries = Periodic(
        name="outbox-retries",
        every=RETRY_STEP_SECONDS,
        step=dispatcher.send_due,
        sooner=dispatcher.due_in,
    )
    health, stopping = HealthState(service="unit", started=True), asyncio.Event()
    looping = asyncio.create_task(
        run_periodic(retries, health=health, clock=clock, stopping=stopping)
    )
    for _ in range(1000):
        if len(channel.sent) == 20:
            break
        await asyncio.sleep(0.01)
    stopping.set()  # the step in progress records what it sent
    await asyncio.wait_for(looping, timeout=10)
    assert sorted(p for p, _ in channel.sent) == sorted(f"p{n}" for n in range(20))
    times = [at for _, at in channel.sent]
    assert all(b - a >= 0.1 - 1e-6 for a, b in itertools.pairwise(times)), "faster than allowed"
    assert times[-1] - began <= 2.5, f"the last was sent {times[-1] - began:.1f} s after"
    assert await store.counts() == {"sent": 20}


async def test_a_backlog_of_due_sends_drains_claim_after_claim_not_one_claim_a_step(
    store: Outbox,
) -> None:
    """More sends due than one claim takes (queued rows their replica left, as a storm leaves
    them): the retries loop claims again at once while its last claim was full, and pauses its
    step again once the backlog is gone; it used to claim one batch a step (two seconds here)."""
    clock = ManualClock()
    store.clock = clock
    target = Channel(clock)
    left = Dispatcher(outbox=store, integrations={"chat": target}, publisher=Audits(), clock=clock)
    await left.enqueue([_event(f"p{n}", "new_alert", 1) for n in range(25)])
    clock.advance(QUEUED_GRACE_SECONDS + 1)  # its replica never claimed them
    dispatcher = Dispatcher(
        outbox=store, integrations={"chat": target}, publisher=Audits(), clock=clock, claim_limit=10
    )
    retries = Periodic(
        name="outbox-retries",
        every=RETRY_STEP_SECONDS,
        step=dispatcher.send_due,
        sooner=dispatcher.due_in,
    )
    health, stopping = HealthState(service="unit", started=True), asyncio.Event()
    began = clock.time()
    looping = asyncio.create_task(
        run_periodic(retries, health=health, clock=clock, stopping=stopping)
    )
    for _ in range(1000):
        if len(target.sent) == 25:
            break
        await asyncio.sleep(0.01)
    stopping.set()
    await asyncio.wait_for(looping, timeout=10)
    assert sorted(p for p, _ in target.sent) == sorted(f"p{n}" for n in range(25))
    drained = max(at for _, at in target.sent) - began
    assert drained < RETRY_STEP_SECONDS, f"three claims took {drained:.1f} s"
    assert dispatcher.due_in() is None, "with nothing left the loop pauses its step again"
    assert await store.counts() == {"sent": 25}


async def _begun(store: Outbox, event: Notification) -> None:
    """Wait until the send of ``event`` to ``#a`` has begun."""
    for _ in range(200):
        row = await store.outbox(event.id, "chat:#a")
        if row is not None and row.status == SENDING:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"the send of {event.data.fingerprint} never began")


async def _stopped_mid_send(store: Outbox, events: Sequence[Notification]) -> Card:
    """A replica that claimed ``events`` (made in this order) and began sending the first (one
    delivery slot; its problem's send never returns), then stopped: the rest of its claim never
    started."""
    card = Card(gate={events[0].data.fingerprint: asyncio.Event()})
    replica = _dispatcher(store, card, Audits(), concurrency=1)
    await replica.enqueue(events)
    sending = asyncio.create_task(replica.send_queued())
    await _begun(store, events[0])
    sending.cancel()
    with pytest.raises(asyncio.CancelledError):
        await sending
    return card


async def test_sends_a_stopped_replica_claimed_and_never_began_are_made_by_another(
    store: Outbox,
) -> None:
    """A target that cannot say whether a send arrived (no ``resend_safe``): the send the stop
    cut short is never repeated, but the ones still waiting for a slot are sent, once the
    claim's lease runs out, not written off with it."""
    clock = ManualClock()
    store.clock = clock
    await _stopped_mid_send(store, [_event("cut", "new_alert", 1), _event("fp", "new_alert", 1)])
    card = Card()
    other = _dispatcher(store, card, Audits())
    assert await other.send_due() == 0, "within its lease the claim is the stopped replica's"
    clock.advance(CLAIM_LEASE_SECONDS + 1)
    assert await other.send_due() == 1
    assert card.sent == [("fp", "new_alert", 1)]
    assert await store.counts() == {"sending": 1, "sent": 1}
    clock.advance(SEND_LEASE_SECONDS)
    assert await other.send_due() == 0
    assert card.sent == [("fp", "new_alert", 1)], "the send cut short may have arrived"
    assert await store.counts() == {"sent": 1, "unknown": 1}


async def test_a_later_notification_waits_for_an_earlier_one_a_stopped_replica_claimed(
    store: Outbox,
) -> None:
    """The alert a stopped replica claimed goes out before the problem's resolution another
    replica consumed meanwhile, not after it (a Slack root would be opened again, a PagerDuty
    incident triggered again)."""
    clock = ManualClock()
    store.clock = clock
    await _stopped_mid_send(store, [_event("cut", "new_alert", 1), _event("fp", "new_alert", 1)])
    card = Card()
    other = _dispatcher(store, card, Audits())
    await other.enqueue([_event("fp", "resolved", 1)])
    assert await other.send_queued() == 0, "the resolution waits behind the alert"
    assert card.sent == []
    clock.advance(CLAIM_LEASE_SECONDS + 1)
    assert await other.send_due() == 2
    assert card.sent == [("fp", "new_alert", 1), ("fp", "resolved", 1)]


async def test_a_claim_that_ran_out_is_sent_once_by_the_replica_that_took_it(
    store: Outbox,
) -> None:
    """A replica whose rows waited for a slot past their claim's lease (its renewals did not
    land) finds them taken by another replica and sends none of them."""
    clock = ManualClock()
    store.clock = clock
    card = Card(gate={"slow": asyncio.Event()})
    first = _dispatcher(store, card, Audits(), concurrency=1)
    slow, late = _event("slow", "new_alert", 1), _event("fp", "new_alert", 1)
    await first.enqueue([slow, late])
    sending = asyncio.create_task(first.send_queued())
    await _begun(store, slow)
    clock.advance(CLAIM_LEASE_SECONDS + 1)
    taker = Card()
    assert await _dispatcher(store, taker, Audits()).send_due() == 1
    card.gate["slow"].set()
    assert await sending == 2
    assert taker.sent == [("fp", "new_alert", 1)]
    assert card.sent == [("slow", "new_alert", 1)], "the lost claim is not sent again"
    assert await store.counts() == {"sent": 2}


async def test_rows_queued_before_the_upgrade_keep_their_place_in_their_problem_s_order(
    storage_url: str,
) -> None:
    """Revision notifier_0005 fills in the problem and time of rows still to be sent: the
    alert an older build queued goes out before a resolution queued after the upgrade."""
    alert, resolution = _event("fp", "new_alert", 1), _event("fp", "resolved", 1)
    old = Database(storage_url, schemas=[])
    await migrate(old.engine, SCHEMA, to="notifier_0004")
    async with old.transaction() as db:
        await db.execute(
            text(
                "INSERT INTO notifier_outbox (notification_id, target, status, attempts, "
                "due_at, body, updated_at) VALUES (:id, 'chat:#a', 'retry', 1, 0, :body, 0)"
            ),
            {"id": alert.id, "body": alert.model_dump_json()},
        )
    await old.close()
    database = Database(storage_url, schemas=[SCHEMA])
    await database.migrate()
    try:
        store = Outbox(database)
        row = await store.outbox(alert.id, "chat:#a")
        assert row is not None
        assert (row.fingerprint, row.made_at) == ("fp", alert.time.timestamp())
        card = Card()
        dispatcher = _dispatcher(store, card, Audits())
        await dispatcher.enqueue([resolution])
        assert await dispatcher.send_queued() == 0, "the resolution waits behind the alert"
        assert await dispatcher.send_due() == 2, "then follows it at once"
        assert card.sent == [("fp", "new_alert", 1), ("fp", "resolved", 1)]
    finally:
        await database.close()


async def test_rows_held_behind_an_earlier_one_do_not_crowd_it_out_of_a_claim(
    store: Outbox,
) -> None:
    """Many later rows of a problem, due before its first one: a claim of a few rows still
    takes the first, not only rows that would have to wait behind it."""
    clock = ManualClock()
    store.clock = clock
    now = clock.time()
    first, *later = [_event("fp", "new_alert", 1)] + [
        _event("fp", "update", n) for n in range(2, 7)
    ]

    def queued(event: Notification) -> Queued:
        made_at = event.time.timestamp()
        return Queued(event.id, "chat:#a", "fp", made_at, event.model_dump_json())

    await store.enqueue([queued(e) for e in later], due_at=now)
    await store.enqueue([queued(first)], due_at=now + 20)
    claimed = await store.claim_due(now + 30, lease_until=now + 45, limit=2)
    assert [row.notification_id for row in claimed] == [first.id, later[0].id]
