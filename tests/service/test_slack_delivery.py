"""Slack delivery against a fake Slack Web API (and incoming webhook) served over HTTP: one root
per problem, replies in its thread, the root redrawn in place, storms coalesced, escaping, rate
limits, 429s and permanent errors. The state behind it (roots and posted messages) on both
storage backends."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from services.notifier.delivery.base import SEND_LEASE_SECONDS, DeliveryResult, Integration
from services.notifier.dispatcher import Dispatcher
from services.notifier.outbox import Outbox
from services.notifier.slack import (
    SLACK_SCHEMA,
    HttpSlackApi,
    HttpSlackWebhook,
    SlackBotIntegration,
    SlackSetup,
    SlackWebhookIntegration,
)
from services.notifier.slack.state import PostedMessage, Root, SlackState
from services.notifier.tables import SCHEMA as NOTIFIER_SCHEMA
from shared.clock import ManualClock
from shared.config.slack import SlackSection
from shared.events import (
    ErrorSummary,
    IncidentRef,
    NotificationData,
    Severity,
    Target,
)
from shared.kafka.producer import Output
from shared.oncall import OnCallDirectory, OnCallSection
from shared.slack.api import DEFAULT_TIMEOUT
from shared.storage import open_database
from tests.delivery import failed_for_good
from tests.fakes.slack import WEBHOOK_PATH, FakeSlack, Message, texts
from tests.notifications import deliver, mid_send, notification_event

ALERTS = Target(type="slack", channel="#alerts")
EVIL = "<!channel> <@U123> <https://evil|click>"


def note(
    kind: str = "new_alert", count: int = 1, fp: str = "fp-db", **more: Any
) -> NotificationData:
    summary = more.pop("summary", None) or ErrorSummary(
        title="Database connection refused", severity=Severity.HIGH, service="billing", count=count
    )
    return NotificationData(
        fingerprint=fp,
        kind=kind,
        targets=[ALERTS],
        summary=summary,
        actions=more.pop("actions", ["ack", "snooze", "escalate", "resolve"]),
        attempt_id=more.pop("attempt_id", "att-1"),
        **more,
    )


def shown(message: Message) -> str:
    return " ".join(texts(message.blocks)) + " " + message.text


@pytest.fixture
def fake(fake_slack: FakeSlack) -> FakeSlack:
    """The fake Slack of ``slack_url`` (tests/service/conftest.py)."""
    return fake_slack


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'notifier-slack.db'}"


class Harness:
    """Integrations over the fake Slack and one store file; everything closed at the end."""

    def __init__(self, slack_url: str, store_url: str, fake: FakeSlack) -> None:
        self.slack_url = slack_url
        self.store_url = store_url
        self.fake = fake
        self.clock = ManualClock()
        self._closers: list[Any] = []

    async def integration(
        self,
        *,
        token: str | None = None,
        oncall: OnCallDirectory | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        **settings: Any,
    ) -> SlackBotIntegration:
        """An integration as a process would open it: its own connection to the store."""
        database = await open_database(self.store_url, schemas=[SLACK_SCHEMA])
        api = HttpSlackApi(
            token=token or self.fake.token, base_url=f"{self.slack_url}/api/", timeout=timeout
        )
        self._closers += [api.aclose, database.close]
        setup = SlackSetup(
            database=database,
            settings=SlackSection(**settings),
            clock=self.clock.time,
            oncall=oncall,
        )
        return SlackBotIntegration(setup, api=api)

    async def webhook_integration(self, **settings: Any) -> SlackWebhookIntegration:
        database = await open_database(self.store_url, schemas=[SLACK_SCHEMA])
        webhook = HttpSlackWebhook(url=f"{self.slack_url}{WEBHOOK_PATH}")
        self._closers += [webhook.aclose, database.close]
        setup = SlackSetup(
            database=database, settings=SlackSection(**settings), clock=self.clock.time
        )
        return SlackWebhookIntegration(setup, webhook=webhook)

    async def close(self) -> None:
        for closer in reversed(self._closers):
            result = closer()
            if result is not None:
                await result


@pytest.fixture
async def harness(slack_url: str, store_url: str, fake: FakeSlack) -> AsyncIterator[Harness]:
    h = Harness(slack_url, store_url, fake)
    yield h
    await h.close()


async def test_one_root_per_problem_then_its_thread_even_after_a_restart(
    harness: Harness, fake: FakeSlack, storage_url: str
) -> None:
    harness.store_url = storage_url  # SQLite, then PostgreSQL
    slack = await harness.integration()
    assert isinstance(slack, Integration)  # what the notifier's registry accepts
    first = await slack.send_notification(note(), ALERTS)
    assert first.delivered
    assert first.reference
    [root] = fake.roots("C0ALERTS")
    assert root.ts == first.reference
    assert "Database connection refused" in shown(root)
    assert fake.calls["chat.postMessage"] == 1

    harness.clock.advance(2)
    started = await slack.send_notification(
        note("resolution_started", text="Restarting billing-db pool"), ALERTS
    )
    assert started.delivered
    [reply] = fake.replies("C0ALERTS", root.ts)
    assert reply.ts == started.reference
    assert "Automatic fix started" in shown(reply)

    await slack.tick(harness.clock.now + 10)  # the root is redrawn in place
    assert fake.calls["chat.update"] == 1
    assert "Fix running" in shown(fake.message("C0ALERTS", root.ts))

    # A new process on the same store keeps using the thread.
    again = await harness.integration()
    harness.clock.advance(20)
    resolved = await again.send_notification(note("resolved", text="error rate back to 0"), ALERTS)
    assert resolved.delivered
    assert len(fake.roots("C0ALERTS")) == 1
    assert len(fake.replies("C0ALERTS", root.ts)) == 2
    await again.tick(harness.clock.now + 10)
    final = fake.message("C0ALERTS", root.ts)
    assert "Resolved" in shown(final)
    assert not [b for b in final.blocks if b["type"] == "actions"]  # no buttons once resolved


async def test_the_state_keeps_roots_and_messages_on_both_backends(storage_url: str) -> None:
    database = await open_database(storage_url, schemas=[SLACK_SCHEMA])
    state = SlackState(database)
    summary = ErrorSummary(title="Disk full", severity=Severity.HIGH, service="db", count=1)
    root = Root(
        fingerprint="fp-1",
        channel="#alerts",
        channel_id="C0ALERTS",
        ts="1.1",
        count=1,
        status="Open",
        summary=summary,
        actions=("ack", "resolve"),
        attempt_id="att-1",
        level=1,
        posted_at=100.0,
        updated_at=100.0,
    )
    try:
        assert await state.root("fp-1", "#alerts") is None
        await state.save(root)
        assert await state.root("fp-1", "#alerts") == root
        assert await state.root("fp-1", "#oncall") is None

        acted = "Acknowledged by <@U1>"
        assert await state.set_acted_by("fp-1", "#alerts", acted) == root.with_(
            acted_by=acted, dirty=True, version=1
        )
        assert await state.set_acted_by("fp-9", "#alerts", acted) is None
        # A digest drawn from the root as it was before the press never undoes the press.
        changed = root.with_(
            count=5,
            summary=summary.model_copy(update={"count": 5}),
            actions=(),
            attempt_id=None,
            level=2,
            status="Resolved",
            latest="back to normal",
            dirty=True,
            not_before=120.0,
            pending_updates=4,
            pending_text="again",
            updated_at=110.0,
        )
        await state.save(changed)
        stored = await state.root("fp-1", "#alerts")
        assert stored == changed.with_(acted_by=acted, version=stored.version if stored else 0)
        await state.save(changed.with_(not_before=0.0, updated_at=100.0))

        for other in (
            root.with_(fingerprint="fp-2", updated_at=50.0, dirty=True),
            root.with_(fingerprint="fp-3", updated_at=10.0, dirty=True, not_before=200.0),
            root.with_(fingerprint="fp-4", updated_at=10.0),
        ):
            await state.save(other)
        due = [r.fingerprint for r in await state.claim_due(130.0, 30.0, 10, 5.0)]
        assert due == ["fp-2", "fp-1"]  # oldest first; fp-3 held until 200; fp-4 shown
        assert await state.claim_due(130.0, 0.0, 10, 5.0) == []  # claimed until 135
        claimed = await state.claim_due(200.0, 0.0, 2, 5.0)
        assert [r.fingerprint for r in claimed] == ["fp-3", "fp-2"]
        # A redraw lands on the row it read; one that raced a newer change takes off the row
        # only what it showed.
        [shown_3, shown_2] = claimed
        drawn = shown_3.with_(
            dirty=False, pending_updates=0, pending_text="", not_before=0.0, updated_at=200.0
        )
        await state.save_drawn(drawn, shown_3)
        assert await state.root("fp-3", "#alerts") == drawn.with_(version=shown_3.version + 1)
        newer = shown_2.with_(pending_updates=shown_2.pending_updates + 2, pending_text="newer")
        await state.save(newer)  # folded in by another replica while fp-2 was being drawn
        await state.save_drawn(shown_2.with_(dirty=False, pending_updates=0), shown_2)
        merged = await state.root("fp-2", "#alerts")
        assert merged is not None
        assert (merged.dirty, merged.pending_updates, merged.pending_text, merged.not_before) == (
            True,
            2,
            "newer",
            0.0,
        )
        await state.save(merged.with_(updated_at=50.0))

        first = PostedMessage("C0ALERTS", "1.1", "fp-1", "#alerts", "att-1")
        await state.remember_message(first, 100.0)
        await state.remember_message(PostedMessage("C0ALERTS", "1.2", "fp-1", "#alerts", None), 150)
        assert await state.message("C0ALERTS", "1.1") == first
        again = PostedMessage("C0ALERTS", "1.1", "fp-1", "#alerts", "att-2")
        await state.remember_message(again, 120.0)  # the same message again: replaced
        assert await state.message("C0ALERTS", "1.1") == again
        assert await state.message("C0ALERTS", "9.9") is None

        assert await state.prune(130.0) == 1  # only fp-4: shown and untouched since
        assert await state.root("fp-4", "#alerts") is None
        left = await state.claim_due(1000.0, 0.0, 10, 5.0)
        assert [r.fingerprint for r in left] == ["fp-2", "fp-1"]  # fp-3 was shown
        assert await state.message("C0ALERTS", "1.1") is None
        assert await state.message("C0ALERTS", "1.2") is not None
        await state.forget_root("fp-1", "#alerts")
        assert await state.root("fp-1", "#alerts") is None
    finally:
        await database.close()


async def test_a_problem_the_source_resolved_shows_so_on_its_root(
    harness: Harness, fake: FakeSlack
) -> None:
    slack = await harness.integration()
    first = await slack.send_notification(note(), ALERTS)
    harness.clock.advance(2)
    resolved = await slack.send_notification(note("resolved", text="resolved by source"), ALERTS)
    assert resolved.delivered
    await slack.tick(harness.clock.now + 10)
    final = fake.message("C0ALERTS", first.reference or "")
    assert "Resolved by source" in shown(final)
    assert not [b for b in final.blocks if b["type"] == "actions"]


async def test_a_problem_back_within_the_cooldown_opens_its_old_card_after_it_a_new_one(
    harness: Harness, fake: FakeSlack
) -> None:
    slack = await harness.integration(rate_limiting={"cooldown_seconds": 60})
    first = await slack.send_notification(note(), ALERTS)
    harness.clock.advance(2)
    assert (await slack.send_notification(note("resolved"), ALERTS)).delivered
    await slack.tick(harness.clock.now)  # the card says Resolved
    harness.clock.advance(30)  # back within the cooldown: the same card opens again
    assert (await slack.send_notification(note(count=7), ALERTS)).delivered
    await slack.tick(harness.clock.now + 10)
    [card] = fake.roots("C0ALERTS")
    assert card.ts == first.reference
    assert "Open" in shown(card)
    assert "7" in shown(card)
    harness.clock.advance(12)
    assert (await slack.send_notification(note("resolved"), ALERTS)).delivered
    await slack.tick(harness.clock.now)
    harness.clock.advance(61)  # back after it: a card of its own
    assert (await slack.send_notification(note(count=9), ALERTS)).delivered
    assert len(fake.roots("C0ALERTS")) == 2


@pytest.mark.parametrize(
    ("resolved_by", "back_as"),
    [
        # back within the escalation rules' duplicate window: told as an update
        ("", "update"),
        # back within slack.rate_limiting.cooldown_seconds of its source resolving it
        ("resolved by source", "new_alert"),
    ],
)
async def test_a_problem_back_on_its_resolved_card_opens_it_again_with_the_count(
    harness: Harness, fake: FakeSlack, resolved_by: str, back_as: str
) -> None:
    slack = await harness.integration()
    posted = (await slack.send_notification(note(), ALERTS)).reference
    shows: list[str] = []
    for later in (note("resolved", text=resolved_by), note(back_as, count=23)):
        harness.clock.advance(60)
        assert (await slack.send_notification(later, ALERTS)).delivered
        await slack.tick(harness.clock.now + 10)
        [card] = fake.roots("C0ALERTS")
        assert card.ts == posted
        shows.append(shown(card))
    assert "Resolved" in shows[0]
    assert "Open" in shows[1]
    assert "Resolved" not in shows[1]
    assert "23" in shows[1]


async def test_a_storm_is_one_root_with_digests_at_a_bounded_rate_and_the_exact_count(
    harness: Harness, fake: FakeSlack
) -> None:
    slack = await harness.integration(digest_interval_seconds=10)
    start = harness.clock.now
    for count in range(1, 3_001):  # bench/storm.py runs 10,000 through every service
        result = await slack.send_notification(
            note("update" if count > 1 else "new_alert", count), ALERTS
        )
        assert result.delivered
        if count % 150 == 0:  # 20 seconds of storm, a tick a second
            harness.clock.advance(1)
            await slack.tick(harness.clock.now)
    elapsed = harness.clock.now - start
    assert fake.calls["chat.postMessage"] == 1
    assert fake.calls["chat.update"] <= elapsed / 10 + 1
    harness.clock.advance(10)
    await slack.tick(harness.clock.now)  # the last count always reaches Slack
    [root] = fake.roots("C0ALERTS")
    assert "3,000" in shown(root)
    assert fake.calls["chat.postMessage"] == 1
    updates = fake.calls["chat.update"]
    await slack.tick(harness.clock.now + 60)  # nothing new: no more calls
    assert fake.calls["chat.update"] == updates


def _digested_once(fake: FakeSlack, first: DeliveryResult, count: str) -> None:
    """The root's thread holds one digest reply ("Still failing on db-2") and its card shows
    ``count``."""
    replies = fake.replies("C0ALERTS", first.reference or "")
    assert ["Still failing on db-2" in shown(r) for r in replies] == [True]
    assert count in shown(fake.roots()[0])


async def test_a_card_whose_count_alone_moves_waits_longer_the_longer_it_is_up(
    harness: Harness, fake: FakeSlack
) -> None:
    """A storm repeating one text: the card is redrawn 10, 20, 40 and 80 s after it was posted,
    then each minute, and the text gets one digest reply, not one per redraw."""
    slack = await harness.integration(digest_interval_seconds=10, digest_max_interval_seconds=60)
    first = await slack.send_notification(note(count=1), ALERTS)
    start, redrawn = harness.clock.now, []
    for second in range(1, 201):
        harness.clock.advance(1)
        update = note("update", second + 1, text="Still failing on db-2")
        assert (await slack.send_notification(update, ALERTS)).delivered
        before = fake.calls["chat.update"]
        await slack.tick(harness.clock.now)
        if fake.calls["chat.update"] > before:
            redrawn.append(round(harness.clock.now - start))
    assert redrawn == [10, 20, 40, 80, 140, 200]
    _digested_once(fake, first, "201")


async def test_a_change_of_status_or_a_press_is_shown_without_the_count_s_wait(
    harness: Harness, fake: FakeSlack
) -> None:
    slack = await harness.integration(digest_interval_seconds=10, digest_max_interval_seconds=60)
    await slack.send_notification(note(count=1), ALERTS)
    harness.clock.advance(100)  # the card has been up a while: a count-only redraw waits 60 s
    await slack.send_notification(note("update", 2), ALERTS)
    await slack.tick(harness.clock.now)
    assert fake.calls["chat.update"] == 1
    harness.clock.advance(10)
    await slack.send_notification(note("update", 3), ALERTS)
    await slack.tick(harness.clock.now)
    assert fake.calls["chat.update"] == 1, "the count alone waits"
    failed = note("resolution_failed", 3, text="Restart of billing failed")
    assert (await slack.send_notification(failed, ALERTS)).delivered
    await slack.tick(harness.clock.now)
    assert fake.calls["chat.update"] == 2, "a change of status is shown at once"
    harness.clock.advance(10)
    await slack.state.set_acted_by("fp-db", "#alerts", "U0ALICE")
    await slack.tick(harness.clock.now)
    assert fake.calls["chat.update"] == 3, "so is a press"
    assert "U0ALICE" in shown(fake.roots()[0])


async def test_untrusted_text_reaches_slack_harmless(harness: Harness, fake: FakeSlack) -> None:
    slack = await harness.integration()
    summary = ErrorSummary(title=EVIL, severity=Severity.CRITICAL, service="<!here>", count=3)
    assert (await slack.send_notification(note(summary=summary, text=EVIL), ALERTS)).delivered
    harness.clock.advance(5)
    assert (await slack.send_notification(note("resolution_failed", text=EVIL), ALERTS)).delivered
    for message in fake.posted():
        for text in texts([message.blocks, message.text]):
            assert not any(bad in text for bad in ("<!", "<@", "<http")), text
        assert "&lt;!channel&gt;" in shown(message)
        assert message.body["parse"] == "none"
        assert message.body["unfurl_links"] is False


async def test_huge_text_is_cut_to_what_slack_accepts(harness: Harness, fake: FakeSlack) -> None:
    slack = await harness.integration()
    summary = ErrorSummary(title="&" * 1000, severity=Severity.LOW, service="s" * 3000)
    result = await slack.send_notification(note(summary=summary, text="<" * 8000), ALERTS)
    assert result.delivered, result.error
    harness.clock.advance(5)
    result = await slack.send_notification(note("rolled_back", text=">" * 8000), ALERTS)
    assert result.delivered, result.error


async def test_about_one_message_per_second_per_channel(harness: Harness, fake: FakeSlack) -> None:
    slack = await harness.integration()
    assert (await slack.send_notification(note(fp="a"), ALERTS)).delivered
    held = await slack.send_notification(note(fp="b"), ALERTS)
    assert not held.delivered
    assert not held.permanent
    assert held.retry_after is not None
    assert 0 < held.retry_after <= 1
    oncall = Target(type="slack", channel="#oncall")
    assert (await slack.send_notification(note(fp="c"), oncall)).delivered  # another channel
    harness.clock.advance(held.retry_after)
    assert (await slack.send_notification(note(fp="b"), ALERTS)).delivered
    assert len(fake.roots("C0ALERTS")) == 2


async def test_hourly_cap_per_channel_queues(harness: Harness, fake: FakeSlack) -> None:
    slack = await harness.integration(rate_limiting={"max_messages_per_hour": 2})
    for fp in ("a", "b"):
        assert (await slack.send_notification(note(fp=fp), ALERTS)).delivered
        harness.clock.advance(1)
    held = await slack.send_notification(note(fp="c"), ALERTS)
    assert held.retry_after is not None
    assert held.retry_after > 3000


async def test_429_means_retry_after(harness: Harness, fake: FakeSlack) -> None:
    slack = await harness.integration()
    fake.rate_limit("chat.postMessage", retry_after=7)
    result = await slack.send_notification(note(), ALERTS)
    assert not result.delivered
    assert result.retry_after == 7
    assert "ratelimited" in (result.error or "")
    assert result.rate_limited  # a wait, not a failed attempt
    harness.clock.advance(3)
    early = await slack.send_notification(note(), ALERTS)
    assert early.retry_after == pytest.approx(4)  # the channel is held, Slack is not asked
    assert fake.calls["chat.postMessage"] == 1
    harness.clock.advance(4)
    assert (await slack.send_notification(note(), ALERTS)).delivered
    assert len(fake.roots()) == 1


async def test_429_on_a_root_redraw_waits_and_keeps_the_count(
    harness: Harness, fake: FakeSlack
) -> None:
    slack = await harness.integration()
    await slack.send_notification(note(count=1), ALERTS)
    await slack.send_notification(note("update", count=42), ALERTS)
    fake.rate_limit("chat.update", retry_after=30)
    harness.clock.advance(10)
    await slack.tick(harness.clock.now)
    await slack.tick(harness.clock.now + 5)  # still held
    assert fake.calls["chat.update"] == 1
    await slack.tick(harness.clock.now + 30)
    assert fake.calls["chat.update"] == 2
    assert "42" in shown(fake.roots()[0])


async def test_a_digest_reply_is_posted_once_when_the_redraw_after_it_is_refused(
    harness: Harness, fake: FakeSlack
) -> None:
    slack = await harness.integration()
    first = await slack.send_notification(note(count=1), ALERTS)
    await slack.send_notification(note("update", count=7, text="Still failing on db-2"), ALERTS)
    fake.rate_limit("chat.update", retry_after=30)
    harness.clock.advance(10)
    await slack.tick(harness.clock.now)  # the reply lands, the redraw is refused
    await slack.tick(harness.clock.now + 30)  # the redraw alone is tried again
    await slack.tick(harness.clock.now + 60)
    _digested_once(fake, first, "7")
    assert fake.calls["chat.update"] == 2


@pytest.mark.parametrize(
    ("channel", "error"),
    [("#nowhere", "channel_not_found"), ("#private", "not_in_channel")],
)
async def test_channel_errors_are_permanent(
    harness: Harness, fake: FakeSlack, channel: str, error: str
) -> None:
    fake.add_channel("#private", "C0PRIVATE", member=False)
    slack = await harness.integration()
    result = await slack.send_notification(note(), Target(type="slack", channel=channel))
    failed_for_good(result, error)


async def test_a_bad_token_is_permanent(harness: Harness, fake: FakeSlack) -> None:
    slack = await harness.integration(token="xoxb-revoked")
    result = await slack.send_notification(note(), ALERTS)
    failed_for_good(result, "invalid_auth")


async def test_escalation_mentions_and_is_broadcast_from_the_thread(
    harness: Harness, fake: FakeSlack
) -> None:
    slack = await harness.integration(mention_groups={"oncall": ["S0ONCALL"]})
    await slack.send_notification(note(), ALERTS)
    harness.clock.advance(2)
    target = Target(type="slack", channel="#alerts", mentions=["oncall", "U0LEAD"])
    result = await slack.handle_escalation(note("escalation", level=2, text="no ack"), target)
    assert result.delivered
    [root] = fake.roots("C0ALERTS")
    [reply] = fake.replies("C0ALERTS", root.ts)
    assert "<!subteam^S0ONCALL> <@U0LEAD>" in shown(reply)
    assert reply.body["reply_broadcast"] is True
    # An escalation to a channel never told before starts a root there.
    fresh = await slack.handle_escalation(
        note("escalation", level=3), Target(type="slack", channel=None, mentions=["here"])
    )
    assert fresh.delivered
    [oncall_root] = fake.roots("C0ONCALL")
    assert "<!here>" in shown(oncall_root)
    assert "Escalated to level 3" in shown(oncall_root)


async def test_oncall_is_whoever_the_service_s_schedule_has_on_call_when_sent(
    harness: Harness, fake: FakeSlack
) -> None:
    schedules = OnCallSection.model_validate(
        {
            "schedules": [
                {
                    "name": "billing",
                    "services": ["billing"],
                    "time_zone": "Europe/Berlin",
                    "layers": [
                        {
                            "participants": ["U0ALICE", "U0BOB"],
                            "handover": "daily",
                            "handover_time": "09:00",
                            "start": "2027-01-15",  # the harness clock: 09:00 in Berlin
                        }
                    ],
                }
            ]
        }
    )
    slack = await harness.integration(
        mention_groups={"oncall": ["S0ONCALL"]},
        oncall=OnCallDirectory(schedules, clock=harness.clock.time),
    )
    await slack.send_notification(note(), ALERTS)
    target = Target(type="slack", channel="#alerts", mentions=["oncall", "U0LEAD"])
    harness.clock.advance(2)
    await slack.handle_escalation(note("escalation", level=2), target)
    harness.clock.advance(86400)  # the next day's 09:00 handover has passed
    await slack.handle_escalation(note("escalation", level=3), target)
    [root] = fake.roots("C0ALERTS")
    first, second = fake.replies("C0ALERTS", root.ts)
    assert "<@U0ALICE> <@U0LEAD>" in shown(first)
    assert "<@U0BOB> <@U0LEAD>" in shown(second)
    assert "S0ONCALL" not in shown(first) + shown(second)
    # a service no schedule covers (and no default schedule): mention_groups as before
    other = ErrorSummary(title="Disk full", severity=Severity.HIGH, service="analytics")
    harness.clock.advance(2)
    await slack.handle_escalation(note("escalation", fp="fp-disk", summary=other), target)
    [disk] = [r for r in fake.roots("C0ALERTS") if r.ts != root.ts]
    assert "<!subteam^S0ONCALL> <@U0LEAD>" in shown(disk)


async def test_approval_request_has_approve_and_reject_in_the_thread(
    harness: Harness, fake: FakeSlack
) -> None:
    slack = await harness.integration()
    await slack.send_notification(note(), ALERTS)
    harness.clock.advance(2)
    result = await slack.send_notification(
        note("approval_request", actions=["approve", "reject"], attempt_id="att-9"), ALERTS
    )
    reply = fake.message("C0ALERTS", str(result.reference))
    [actions] = [b for b in reply.blocks if b["type"] == "actions"]
    assert [e["action_id"] for e in actions["elements"]] == ["approve", "reject"]
    assert actions["elements"][0]["value"] == '{"f":"fp-db","a":"att-9"}'


async def _one_root_and_its_thread(
    harness: Harness, fake: FakeSlack, slack: SlackBotIntegration, count: str
) -> None:
    """``#alerts`` holds one root, showing ``count``, and a later notification of its problem
    is a reply in its thread."""
    [root] = fake.roots("C0ALERTS")
    assert count in shown(root)
    harness.clock.advance(70)  # past the card's redraw wait
    await slack.send_notification(note("resolved"), ALERTS)
    assert len(fake.replies("C0ALERTS", root.ts)) == 1


async def test_a_deleted_root_is_posted_again_with_the_count(
    harness: Harness, fake: FakeSlack
) -> None:
    slack = await harness.integration()
    await slack.send_notification(note(), ALERTS)
    fake.messages.clear()
    await slack.send_notification(note("update", count=7), ALERTS)
    harness.clock.advance(10)
    await slack.tick(harness.clock.now)
    await _one_root_and_its_thread(harness, fake, slack, "7")


async def _landed(fake: FakeSlack, messages: int) -> None:
    """Wait until Slack holds ``messages`` messages (a post that answers late lands)."""
    for _ in range(100):
        if len(fake.messages) == messages:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{len(fake.messages)} messages in Slack, not {messages}")


async def test_a_digest_reply_whose_post_got_no_answer_is_found_not_posted_again(
    harness: Harness, fake: FakeSlack
) -> None:
    """A digest reply Slack took but did not answer before the client's timeout: the next
    tick finds it in the thread by its metadata, so it is posted once, and the card is
    redrawn."""
    slack = await harness.integration(timeout=0.5)
    first = await slack.send_notification(note(count=1), ALERTS)
    await slack.send_notification(note("update", count=7, text="Still failing on db-2"), ALERTS)
    harness.clock.advance(10)
    fake.post_delay = 1.0  # past the client's timeout: Slack takes the reply, answers late
    await slack.tick(harness.clock.now)
    await _landed(fake, 2)
    fake.post_delay = 0.0
    harness.clock.advance(10)
    await slack.tick(harness.clock.now)
    _digested_once(fake, first, "7")


async def test_a_root_posted_again_whose_post_got_no_answer_is_found_not_posted_twice(
    harness: Harness, fake: FakeSlack
) -> None:
    """A deleted root is posted again; Slack takes that post but answers too late: the next
    tick finds the new root in the channel by its metadata and redraws it, and later replies
    go to its thread."""
    slack = await harness.integration(timeout=0.5)
    await slack.send_notification(note(), ALERTS)
    fake.messages.clear()  # someone deleted the root
    await slack.send_notification(note("update", count=7), ALERTS)
    harness.clock.advance(10)
    fake.post_delay = 1.0
    await slack.tick(harness.clock.now)
    await _landed(fake, 1)
    fake.post_delay = 0.0
    harness.clock.advance(10)
    await slack.send_notification(note("update", count=9), ALERTS)
    await slack.tick(harness.clock.now)
    await slack.tick(harness.clock.now + 60)
    await _one_root_and_its_thread(harness, fake, slack, "9")


async def test_webhook_only_mode(harness: Harness, fake: FakeSlack) -> None:
    slack = await harness.webhook_integration(webhook_digest_interval_seconds=300)
    summary = ErrorSummary(title=EVIL, severity=Severity.HIGH, count=1)
    assert (await slack.send_notification(note(summary=summary), ALERTS)).delivered
    [post] = fake.webhook_posts
    assert not [b for b in post["blocks"] if b["type"] == "actions"]  # nothing could answer
    assert "&lt;!channel&gt;" in " ".join(texts(post))
    assert "<!channel>" not in " ".join(texts(post))
    for count in range(2, 1001):
        assert (await slack.send_notification(note("update", count), ALERTS)).delivered
    await slack.tick(harness.clock.now + 60)
    assert len(fake.webhook_posts) == 1  # digests wait for the webhook interval
    harness.clock.advance(300)
    await slack.tick(harness.clock.now)
    assert len(fake.webhook_posts) == 2
    assert "1,000" in " ".join(texts(fake.webhook_posts[1]))
    # Rate limited and 429s as with the Web API.
    harness.clock.advance(0.5)
    fake.rate_limit("webhook", retry_after=9)
    held = await slack.send_notification(note("resolved"), ALERTS)
    assert held.retry_after is not None
    assert 0 < held.retry_after <= 1
    harness.clock.advance(1)
    limited = await slack.send_notification(note("resolved"), ALERTS)
    assert limited.retry_after == 9
    harness.clock.advance(9)
    assert (await slack.send_notification(note("resolved"), ALERTS)).delivered
    assert len(fake.webhook_posts) == 3


async def test_a_root_a_stopped_process_posted_but_never_recorded_is_found_not_posted_again(
    harness: Harness, fake: FakeSlack
) -> None:
    slack = await harness.integration()
    assert (await slack.send_notification(note(fp="fp-1"), ALERTS)).delivered
    harness.clock.advance(2)  # one post a second per channel
    assert (await slack.send_notification(note(fp="fp-2"), ALERTS)).delivered
    [posted] = [
        m
        for m in fake.roots()
        if m.body.get("metadata", {}).get("event_payload") == {"fingerprint": "fp-2"}
    ]
    root = await slack.state.root("fp-2", "#alerts")
    assert root is not None
    # The process posted fp-2's root and stopped before recording it: only the placeholder
    # written before the post is left; and fp-3's root was never posted at all.
    await slack.state.save(root.with_(ts="", channel_id=""))
    await slack.state.save(root.with_(fingerprint="fp-3", ts="", channel_id=""))
    harness.clock.advance(2)
    restarted = await harness.integration()
    update = await restarted.send_notification(note("update", count=5, fp="fp-2"), ALERTS)
    assert update.delivered
    found = await restarted.state.root("fp-2", "#alerts")
    assert found is not None
    assert (found.ts, found.count) == (posted.ts, 5)  # the root in Slack, now recorded
    # fp-3's post may still land (a request can outlive its process): it is waited for, looked
    # up again, and posted once the lease of a send has run out without it.
    harness.clock.advance(2)
    held = await restarted.send_notification(note(fp="fp-3"), ALERTS)
    assert not held.delivered
    assert held.retry_after is not None
    assert 0 < held.retry_after <= 10
    harness.clock.advance(SEND_LEASE_SECONDS)
    assert (await restarted.send_notification(note(fp="fp-3"), ALERTS)).delivered
    titles = [
        m.body.get("metadata", {}).get("event_payload", {}).get("fingerprint") for m in fake.roots()
    ]
    assert sorted(titles) == ["fp-1", "fp-2", "fp-3"]  # one root each, none twice


async def test_a_root_whose_post_was_cut_short_is_looked_up_not_redrawn_blind(
    harness: Harness, fake: FakeSlack
) -> None:
    """A stopped process left the root of fp-2 unrecorded (its placeholder) with updates
    coalesced into it. The digest tick finds it in Slack and redraws it there; while it is not
    found, the tick leaves it be: no update of no message, so no second root."""
    slack = await harness.integration()
    assert (await slack.send_notification(note(fp="fp-1"), ALERTS)).delivered
    harness.clock.advance(2)  # one post a second per channel
    assert (await slack.send_notification(note(fp="fp-2"), ALERTS)).delivered
    root = await slack.state.root("fp-2", "#alerts")
    assert root is not None
    posted = fake.message("C0ALERTS", root.ts)
    assert "(1 occurrences)" in shown(posted)
    unrecorded = root.with_(ts="", channel_id="", dirty=True, pending_updates=4, count=5)
    await slack.state.save(unrecorded)
    # Not in Slack (yet): the tick neither redraws nor posts.
    del fake.messages[("C0ALERTS", posted.ts)]
    harness.clock.advance(20)
    restarted = await harness.integration()
    await restarted.tick(harness.clock.now)
    assert len(fake.roots()) == 1  # fp-1's
    assert fake.calls["chat.update"] == 0
    # There after all (the post landed): the tick finds it and redraws it with the count.
    fake.messages[("C0ALERTS", posted.ts)] = posted
    harness.clock.advance(20)
    await restarted.tick(harness.clock.now)
    assert len(fake.roots()) == 2
    assert fake.calls["chat.update"] == 1
    assert "(5 occurrences)" in shown(fake.message("C0ALERTS", posted.ts))
    found = await restarted.state.root("fp-2", "#alerts")
    assert found is not None
    assert found.ts == posted.ts


class Audit:
    """The dispatcher's publisher: keeps the audit records it is given."""

    def __init__(self) -> None:
        self.outputs: list[Output] = []

    async def publish_many(self, outputs: Any) -> None:
        self.outputs.extend(outputs)


async def test_a_reply_or_report_a_stop_cut_short_is_found_in_slack_or_sent_once(
    harness: Harness, fake: FakeSlack, store_url: str, tmp_path: Path
) -> None:
    slack = await harness.integration()
    notifier_db = await open_database(
        f"sqlite:///{tmp_path / 'notifier.db'}", schemas=[NOTIFIER_SCHEMA]
    )
    store = Outbox(notifier_db, clock=harness.clock)
    integrations: dict[str, Integration] = {"slack": slack}
    dispatcher = Dispatcher(
        outbox=store, integrations=integrations, publisher=Audit(), clock=harness.clock
    )
    try:
        await deliver(dispatcher, notification_event(note(fp="fp-1")))
        started, done = (
            note("resolution_started", fp="fp-1"),
            note("resolution_succeeded", fp="fp-1"),
        )
        report = NotificationData(
            fingerprint="report:daily:2026-12-02",
            kind="metrics_report",
            targets=[ALERTS],
            summary=ErrorSummary(title="Daily report", severity=Severity.INFO),
            text="Errors: 12",
        )
        events = [notification_event(started), notification_event(done), notification_event(report)]
        lease = harness.clock.time() + SEND_LEASE_SECONDS
        await mid_send(store, events, "slack:#alerts", lease_until=lease)
        # The process posted the fix's start and the report, then stopped before recording
        # either; the fix's success it never posted.
        harness.clock.advance(2)
        assert (await slack.send_notification(started, ALERTS)).delivered
        harness.clock.advance(2)
        assert (await slack.send_notification(report, ALERTS)).delivered
        posted = len(fake.messages)
        harness.clock.advance(SEND_LEASE_SECONDS + 1)
        restarted = await harness.integration()
        integrations["slack"] = restarted  # the replica that takes over
        for _ in range(3):  # one post a second per channel: the unsent one may wait a turn
            await dispatcher.send_due()
            harness.clock.advance(2)
        assert await store.counts() == {"sent": 4}
        assert len(fake.messages) == posted + 1  # only the fix's success, once
        kinds = [m.body.get("metadata", {}).get("event_type") for m in fake.messages.values()]
        assert kinds.count("alertorch_message") == 3

        # Without the history scope Slack cannot say whether it arrived: failed, not re-posted.
        rolled = notification_event(note("rolled_back", fp="fp-1"))
        lease = harness.clock.time() + SEND_LEASE_SECONDS
        await mid_send(store, [rolled], "slack:#alerts", lease_until=lease)
        assert (await restarted.send_notification(rolled.data, ALERTS)).delivered
        fake.missing_scopes["conversations.replies"] = "channels:history"
        harness.clock.advance(SEND_LEASE_SECONDS + 1)
        await dispatcher.send_due()
        assert await store.counts() == {"sent": 4, "failed": 1}
        assert len(fake.messages) == posted + 2
    finally:
        await notifier_db.close()


@pytest.mark.timeout(480)  # ~100,000 deliveries tried, as the outbox would (about two minutes)
async def test_after_a_burst_of_many_problems_every_root_converges_to_its_exact_count(
    harness: Harness, fake: FakeSlack
) -> None:
    """2,000 notifications over 50 problems in one channel, as the outbox delivers them (a
    held one is tried again when its wait is over), with the integration ticking every second.
    Roots are posted at one per second; after the last occurrence is folded in, every root shows
    its exact count within one redraw per root per tick (50 s here) plus the longest wait
    between a card's redraws (``digest_max_interval_seconds``)."""
    slack = await harness.integration(digest_interval_seconds=10)
    problems, per_problem = 50, 40
    queue = [(i, fp) for i in range(1, per_problem + 1) for fp in range(problems)]
    waiting: dict[tuple[int, int], float] = {}
    next_tick = harness.clock.now + 1
    while queue:
        still: list[tuple[int, int]] = []
        for count, fp in queue:
            if waiting.get((count, fp), 0.0) > harness.clock.now:
                still.append((count, fp))
                continue
            kind = "new_alert" if count == 1 else "update"
            result = await slack.send_notification(note(kind, count, fp=f"fp-{fp}"), ALERTS)
            if not result.delivered:
                assert result.retry_after is not None
                waiting[(count, fp)] = harness.clock.now + result.retry_after
                still.append((count, fp))
        queue = still
        harness.clock.advance(0.25)
        if harness.clock.now >= next_tick:
            next_tick += 1
            await slack.tick(harness.clock.now)
    burst_over = harness.clock.now
    bound = problems / slack.settings.digest_updates_per_tick + (
        slack.settings.digest_max_interval_seconds
    )

    def behind() -> list[str]:
        return [root.ts for root in fake.roots("C0ALERTS") if f"{per_problem:,}" not in shown(root)]

    while behind() and harness.clock.now - burst_over <= bound:
        harness.clock.advance(1)
        await slack.tick(harness.clock.now)
    assert len(fake.roots("C0ALERTS")) == problems
    assert behind() == [], f"roots behind {harness.clock.now - burst_over:.0f} s after the burst"


async def test_a_problem_s_card_in_another_channel_keeps_up_with_its_count(
    harness: Harness, fake: FakeSlack
) -> None:
    """A fix's news opens the problem's card in the resolutions channel too; the occurrences
    told in #alerts afterwards reach that card as well, at the digest rate."""
    devops = Target(type="slack", channel="#devops")
    slack = await harness.integration(digest_interval_seconds=10)
    await slack.send_notification(note(count=1), ALERTS)
    harness.clock.advance(2)
    news = await slack.send_notification(note("resolution_started", count=1), devops)
    assert news.delivered
    for count in range(2, 6):
        harness.clock.advance(1)
        await slack.send_notification(note("update", count), ALERTS)
    for _ in range(3):
        harness.clock.advance(11)
        await slack.tick(harness.clock.now)
    [card] = fake.roots("C0DEVOPS")
    assert "*Occurrences:* 5" in shown(fake.message("C0DEVOPS", card.ts))
    [alerts_card] = fake.roots("C0ALERTS")
    assert "*Occurrences:* 5" in shown(fake.message("C0ALERTS", alerts_card.ts))


def incident_note(n: int, kind: str = "new_alert") -> NotificationData:
    """Problem ``n`` of one incident of the billing service."""
    summary = ErrorSummary(
        title=f"Billing step {n} failed",
        severity=Severity.HIGH,
        service="billing",
        incident=IncidentRef(id="inc-7", problems=n),
    )
    return note(kind, fp=f"fp-{n}", summary=summary)


async def test_replicas_put_the_problems_of_one_incident_on_one_card(
    harness: Harness, fake: FakeSlack
) -> None:
    """While one replica posts an incident's card, another replica's problem of that incident
    waits for it (retried, not posted), then joins it; once joined, the problem's later news is
    a reply in the card's thread. With incident cards off, each problem gets its own card."""
    first, second = await harness.integration(), await harness.integration()
    fake.post_delay = 3.0
    posting = asyncio.create_task(first.send_notification(incident_note(1), ALERTS))
    for _ in range(200):  # until the card's post is under way (its placeholder is recorded)
        if await second.state.incident_root("inc-7", "#alerts") is not None:
            break
        await asyncio.sleep(0.01)
    waiting = await second.send_notification(incident_note(2), ALERTS)
    assert not waiting.delivered
    assert waiting.rate_limited
    assert waiting.retry_after == 1.0
    posted = await posting
    assert posted.delivered
    fake.post_delay = 0.0
    joined = await second.send_notification(incident_note(2), ALERTS)
    assert joined.delivered
    assert joined.details["joined"] is True
    assert joined.reference == posted.reference
    [card] = fake.roots("C0ALERTS")
    reply = await second.send_notification(incident_note(2, "escalation"), ALERTS)
    assert reply.details["thread_ts"] == card.ts
    harness.clock.advance(60)
    await second.tick(harness.clock.time())
    assert fake.message(card.channel, card.ts).problems == {
        "Billing step 1 failed": 1,
        "Billing step 2 failed": 1,
    }

    separate = await harness.integration(incident_cards=False)
    alone = await separate.send_notification(incident_note(3), ALERTS)
    assert alone.delivered
    assert len(fake.roots("C0ALERTS")) == 2


TEAM = Target(type="slack", channel="#dev-team")


async def _first_root_cut_short(
    harness: Harness, fake: FakeSlack
) -> tuple[SlackBotIntegration, Root]:
    """The first root posted to ``#dev-team`` (so no recorded root knows the channel's id), by a
    process that stopped before recording it; and an integration restarted past its lease."""
    slack = await harness.integration()
    fake.add_channel("#dev-team", "C0DEVTEAM")
    assert (await slack.send_notification(note(fp="fp-1"), TEAM)).delivered
    root = await slack.state.root("fp-1", "#dev-team")
    assert root is not None
    await slack.state.save(root.with_(ts="", channel_id=""))  # stopped before recording it
    harness.clock.advance(SEND_LEASE_SECONDS + 1)
    return await harness.integration(), root


async def test_the_first_root_in_a_channel_cut_short_is_found_not_posted_again(
    harness: Harness, fake: FakeSlack
) -> None:
    """The root a stopped process posted was the first in its channel, so no recorded root
    knows the channel's id: the channel is found by its name, the root in its history."""
    restarted, root = await _first_root_cut_short(harness, fake)
    # The alert whose send the stop cut short is sent again: its root is found, and nothing
    # is posted (no second root, no reply telling the alert again in its thread).
    again = await restarted.send_notification(note(fp="fp-1"), TEAM)
    assert (again.delivered, again.reference) == (True, root.ts)
    assert [m.ts for m in fake.posted("C0DEVTEAM")] == [root.ts]
    assert (await restarted.send_notification(note("update", count=3, fp="fp-1"), TEAM)).delivered
    assert [m.ts for m in fake.roots("C0DEVTEAM")] == [root.ts]  # found, not posted again
    found = await restarted.state.root("fp-1", "#dev-team")
    assert found is not None
    assert (found.ts, found.channel_id, found.count) == (root.ts, "C0DEVTEAM", 3)


async def test_a_root_cut_short_is_never_posted_again_while_slack_cannot_say_it_landed(
    harness: Harness, fake: FakeSlack
) -> None:
    """Past the lease of its send, a root whose post a stop cut short is looked up before it is
    posted again. While Slack cannot answer (rate limited), the send waits; without the scope
    to list channels or read their history, it fails with the reason: never a second root."""
    restarted, root = await _first_root_cut_short(harness, fake)
    update = note("update", count=3, fp="fp-1")

    fake.rate_limit("conversations.list", retry_after=7)
    held = await restarted.send_notification(update, TEAM)
    assert (held.delivered, held.retry_after) == (False, 7)

    fake.missing_scopes["conversations.list"] = "channels:read"
    failed = await restarted.send_notification(update, TEAM)
    assert not failed.delivered
    assert failed.retry_after is None
    assert "conversations.list answered missing_scope" in str(failed.error)

    del fake.missing_scopes["conversations.list"]
    fake.missing_scopes["conversations.history"] = "channels:history"
    failed = await restarted.send_notification(update, TEAM)
    assert "conversations.history answered missing_scope" in str(failed.error)
    assert [m.ts for m in fake.roots("C0DEVTEAM")] == [root.ts]  # never posted again

    del fake.missing_scopes["conversations.history"]
    assert (await restarted.send_notification(update, TEAM)).delivered
    assert [m.ts for m in fake.roots("C0DEVTEAM")] == [root.ts]


async def test_a_root_whose_post_got_no_answer_is_looked_up_not_posted_again(
    harness: Harness, fake: FakeSlack
) -> None:
    """Slack took a root's post but no answer came before the client's timeout: the placeholder
    stays, and the next try finds the root that landed meanwhile instead of posting another."""
    slack = await harness.integration(timeout=0.5)
    fake.posts_held.set()
    sent = await slack.send_notification(note(fp="fp-1"), ALERTS)
    assert (sent.delivered, sent.error) == (False, "slack chat.postMessage: network: ReadTimeout")
    assert sent.retry_after is not None
    fake.posts_held.clear()
    for _ in range(100):  # the post Slack was holding lands
        if fake.roots():
            break
        await asyncio.sleep(0.05)
    [posted] = fake.roots()
    harness.clock.advance(sent.retry_after)
    again = await slack.send_notification(note(fp="fp-1"), ALERTS)
    assert (again.delivered, again.reference) == (True, posted.ts)
    assert list(fake.messages.values()) == [posted]
    root = await slack.state.root("fp-1", "#alerts")
    assert root is not None
    assert (root.ts, root.channel_id) == (posted.ts, "C0ALERTS")


async def test_a_reply_whose_post_got_no_answer_is_found_not_posted_again(
    harness: Harness, fake: FakeSlack, tmp_path: Path
) -> None:
    """A reply Slack took but did not answer before the client's timeout: its retry looks the
    thread up first and finds it there, so it is recorded as sent, not posted a second time."""
    slack = await harness.integration(timeout=0.5)
    notifier_db = await open_database(
        f"sqlite:///{tmp_path / 'notifier.db'}", schemas=[NOTIFIER_SCHEMA]
    )
    store = Outbox(notifier_db, clock=harness.clock)
    dispatcher = Dispatcher(
        outbox=store, integrations={"slack": slack}, publisher=Audit(), clock=harness.clock
    )
    try:
        await deliver(dispatcher, notification_event(note(fp="fp-1")))
        harness.clock.advance(2)  # one post a second per channel
        fake.post_delay = 1.0  # past the client's timeout: Slack takes the reply, answers late
        await deliver(dispatcher, notification_event(note("resolution_started", fp="fp-1")))
        assert await store.counts() == {"sent": 1, "retry": 1}
        for _ in range(100):  # the reply lands
            if len(fake.messages) == 2:
                break
            await asyncio.sleep(0.05)
        fake.post_delay = 0.0
        harness.clock.advance(10)
        assert await dispatcher.send_due() == 1
        assert await store.counts() == {"sent": 2}
        assert len(fake.messages) == 2  # the root and the one reply
    finally:
        await notifier_db.close()
