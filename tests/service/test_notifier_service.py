"""The notifier as a process on the real broker: a resolver event becomes an alert in Slack (a
fake Slack API speaking the real wire format), and a signed button press on it becomes a
command on the broker."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Iterator

import httpx
import pytest

from services.notifier.dispatcher import QUEUED_GRACE_SECONDS
from shared.events import (
    AuditRecord,
    Notification,
    Resolution,
    Target,
)
from shared.topics import AUDIT, NOTIFICATIONS, RESOLUTIONS, topic
from tests.fakes.server import served
from tests.fakes.slack import FakeSlack, Message
from tests.kafka_helpers import first_command, first_event, produce, read_until
from tests.notifications import error_summary, notification_data, notification_event, unfixed
from tests.procs import running_service
from tests.service.test_slack_interactivity import SECRET, press_payload, signed

pytestmark = pytest.mark.broker


@pytest.fixture
def slack() -> Iterator[tuple[FakeSlack, str]]:
    with served(FakeSlack()) as fake_and_url:
        yield fake_and_url


def _title(text: str, fp: str) -> str:
    """``text`` plus a word spelt from ``fp``: titles of different tests on the shared broker
    must not look alike, or the notifier suppresses one as a duplicate of the other."""
    return f"{text} {fp[:8].translate(str.maketrans('0123456789', 'ghijklmnop'))}"


def _problem(text: str) -> tuple[str, str]:
    """A fresh fingerprint, and a title of ``text`` spelt from it (:func:`_title`)."""
    fp = os.urandom(16).hex()
    return fp, _title(text, fp)


async def _publish_unfixed(bootstrap: str, fp: str, title: str) -> Resolution:
    """A decision the notifier alerts on (:func:`unfixed`), published on ``resolutions``."""
    event = unfixed(fp, title)
    await produce(bootstrap, RESOLUTIONS, [event.to_json_bytes()], key=fp.encode())
    return event


async def _root(fake: FakeSlack, title: str) -> Message:
    for _ in range(200):
        found = _cards(fake, title)
        if found:
            return found[0]
        await asyncio.sleep(0.1)
    raise AssertionError(f"no Slack root for {title!r}; posted: {fake.posted()}")


async def test_alert_reaches_slack_and_a_button_press_becomes_a_command(
    kafka_bootstrap: str, slack: tuple[FakeSlack, str]
) -> None:
    fake, url = slack
    fp, title = _problem("Database connection refused")
    env = fake.env(
        url, SLACK_SIGNING_SECRET=SECRET, ALERTORCH_SLACK__CONSOLE_URL="https://alerts.example.com"
    )
    with running_service("notifier", bootstrap=kafka_bootstrap, env=env) as notifier:
        event = await _publish_unfixed(kafka_bootstrap, fp, title)
        notification = await first_event(kafka_bootstrap, NOTIFICATIONS, fp)
        assert isinstance(notification, Notification)
        assert notification.correlationid == event.correlationid
        assert notification.data.level == 2  # critical in production opens at the on-call level
        assert {t.type for t in notification.data.targets} >= {"slack", "pagerduty"}
        root = await _root(fake, title)
        assert "ack" in {
            e.get("action_id") for b in root.blocks if b["type"] == "actions" for e in b["elements"]
        }
        links = {
            e["action_id"]: e["url"]
            for b in root.blocks
            if b["type"] == "actions"
            for e in b["elements"]
            if "url" in e
        }
        assert links == {"investigate": f"https://alerts.example.com/ui/alerts/{fp}"}
        async with httpx.AsyncClient(timeout=10) as client:
            # Investigate only opens the console: Slack tells us of the press, nothing is done
            looked = await client.post(
                f"{notifier.url}/slack/events",
                **signed(press_payload(root, "investigate", user="U0ALICE")),
            )
            assert looked.status_code == 200
            pressed = await client.post(
                f"{notifier.url}/slack/events", **signed(press_payload(root, "ack", user="U0ALICE"))
            )
        assert pressed.status_code == 200
        command = await first_command(kafka_bootstrap, fp)
        assert (command.data.action, command.data.actor.id, command.data.actor.via) == (
            "ack",
            "U0ALICE",
            "slack",
        )
        # The notifier consumes the command: the policy records the acknowledgement and the
        # Slack thread is told.
        updates = await read_until(
            kafka_bootstrap,
            NOTIFICATIONS,
            lambda found: any(b"acknowledged" in (r.value or b"").lower() for r in found),
            match=lambda r: r.key == fp.encode(),
        )
        assert len(updates) >= 2


async def test_unsigned_presses_are_refused(
    kafka_bootstrap: str, slack: tuple[FakeSlack, str]
) -> None:
    fake, url = slack
    env = fake.env(url, SLACK_SIGNING_SECRET=SECRET)
    with running_service("notifier", bootstrap=kafka_bootstrap, env=env) as notifier:
        async with httpx.AsyncClient(timeout=10) as client:
            answer = await client.post(
                f"{notifier.url}/slack/events",
                content="payload=%7B%7D",
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
    assert answer.status_code == 401


async def test_a_crash_between_send_and_commit_never_posts_twice(
    kafka_bootstrap: str, slack: tuple[FakeSlack, str]
) -> None:
    fake, url = slack
    fp, title = _problem("Disk full on db")
    fake.post_delay, fake.slow_posts = 3.0, title  # its posts are in flight when the notifier dies

    def posts() -> list[dict[str, object]]:
        return [
            args
            for method, args in fake.requests
            if method == "chat.postMessage" and title in str(args.get("text", ""))
        ]

    # A fresh notifier reads the shared topics from the start: the other tests' alerts must not
    # use up a channel's hourly budget before this one's turn.
    env = fake.env(
        url,
        SLACK_SIGNING_SECRET=SECRET,
        ALERTORCH_SLACK__CONSOLE_URL="https://alerts.example.com",
        ALERTORCH_SLACK__RATE_LIMITING__MAX_MESSAGES_PER_HOUR="100000",
    )
    with running_service("notifier", bootstrap=kafka_bootstrap, env=env) as notifier:
        await _publish_unfixed(kafka_bootstrap, fp, title)
        # Both channels' posts (#oncall, #alerts: the level's Slack channels) are made, the last
        # one still in flight.
        for _ in range(600):
            if len(posts()) >= 2:
                break
            await asyncio.sleep(0.05)
        notifier.stop(signal.SIGKILL)
    fake.post_delay, fake.slow_posts = 0.0, ""
    assert len(posts()) == 2

    with running_service("notifier", bootstrap=kafka_bootstrap, env=env):
        # The restarted notifier sends what was queued and never claimed once its grace is over;
        # a send cut short waits for its lease (SEND_LEASE_SECONDS), then Slack is asked whether
        # it arrived (tests/service/test_slack_delivery.py). Neither is posted again meanwhile.
        await asyncio.sleep(QUEUED_GRACE_SECONDS + 3.0)
    assert len(posts()) == 2  # one per Slack channel of the level (#oncall, #alerts), never again
    assert len({str(args.get("channel")) for args in posts()}) == 2


async def _slack_audits(
    bootstrap: str, fake: FakeSlack, url: str, outcome: str, **env: str
) -> list[AuditRecord]:
    """Run the notifier (Slack configured, plus ``env``) on one new alert; the audit records of
    its Slack deliveries once one has ``outcome``."""
    fp, title = _problem("Disk full")
    env = fake.env(url, **env)
    with running_service("notifier", bootstrap=bootstrap, env=env):
        await _publish_unfixed(bootstrap, fp, title)
        records = await read_until(
            bootstrap,
            AUDIT,
            lambda r: any(f'"outcome":"{outcome}"'.encode() in (x.value or b"") for x in r),
            match=lambda r: r.key == fp.encode() and b'"target":"slack:' in (r.value or b""),
        )
    audits = [topic(AUDIT).decode(r.value) for r in records]
    return [a for a in audits if isinstance(a, AuditRecord)]


@pytest.mark.parametrize(
    ("env", "outcome"),
    [
        pytest.param({"ALERTORCH_OPERATION__DRY_RUN": "true"}, "dry_run", id="dry run"),
        pytest.param(
            {"ALERTORCH_COMPONENTS__SLACK_ENABLED": "false"}, "succeeded", id="Slack switched off"
        ),
    ],
)
async def test_in_a_dry_run_or_with_slack_switched_off_nothing_reaches_slack_and_the_audit_says_so(
    kafka_bootstrap: str, slack: tuple[FakeSlack, str], env: dict[str, str], outcome: str
) -> None:
    """In a dry run the audit says what would have been sent; with Slack switched off the
    alerts stay on the console, their Slack deliveries done without a call."""
    fake, url = slack
    audits = await _slack_audits(kafka_bootstrap, fake, url, outcome, **env)
    assert audits
    assert all(a.data.outcome == outcome for a in audits)
    dry_run = outcome == "dry_run"
    assert all(bool(a.data.details.get("dry_run")) is dry_run for a in audits)
    assert fake.calls["chat.postMessage"] == 0


async def test_a_storm_of_updates_is_delivered_in_a_few_folded_sends(
    kafka_bootstrap: str, slack: tuple[FakeSlack, str]
) -> None:
    """1,000 updates of one problem on ``notifications``: the card reaches the exact count, and
    the notifier sends the run of updates together instead of one by one (each update still has
    its own audit record)."""
    fake, url = slack
    fp, title = _problem("Queue overflow")
    updates = 1000
    target = Target(type="slack", channel="#alerts")

    def event(kind: str, count: int) -> bytes:
        summary = error_summary(title=title, count=count)
        data = notification_data(target, summary, fingerprint=fp, kind=kind, level=1, text="")
        return notification_event(data).to_json_bytes()

    storm = [event("new_alert", 1)] + [event("update", n) for n in range(2, updates + 2)]
    env = fake.env(url, ALERTORCH_SLACK__DIGEST_INTERVAL_SECONDS="1")
    with running_service("notifier", bootstrap=kafka_bootstrap, env=env):
        await produce(kafka_bootstrap, NOTIFICATIONS, storm, key=fp.encode())
        records = await read_until(
            kafka_bootstrap,
            AUDIT,
            lambda found: len(found) >= len(storm),
            match=lambda r: r.key == fp.encode() and b'"outcome":"succeeded"' in (r.value or b""),
            timeout=120,
        )
        for _ in range(300):
            if any(m.occurrences == updates + 1 for m in _cards(fake, title)):
                break
            await asyncio.sleep(0.1)
    audits = [a for r in records if isinstance(a := topic(AUDIT).decode(r.value), AuditRecord)]
    assert len({a.id for a in audits}) == len(storm), "one delivery record per notification"
    folded = [a for a in audits if a.data.details.get("folded")]
    # a run of k folded updates is k records, each saying k
    sends = len(audits) - len(folded) + round(sum(1 / a.data.details["folded"] for a in folded))
    assert len(folded) > updates // 2, f"only {len(folded)} of {updates} updates were folded"
    assert [m.occurrences for m in _cards(fake, title)] == [updates + 1]
    posts = [a for method, a in fake.requests if method == "chat.postMessage"]
    assert sum(title in str(a.get("text", "")) for a in posts) == 1, "a storm is one card"
    assert sends < updates // 10


async def test_a_problem_back_soon_after_it_was_resolved_opens_its_cards_with_the_count(
    kafka_bootstrap: str, slack: tuple[FakeSlack, str]
) -> None:
    """The shipped rules do not announce the same problem again within ten minutes: when it is
    back after it was resolved, its cards open again and follow its count, no new card."""
    fake, url = slack
    fp, title = _problem("Replica lag exceeded")
    first = unfixed(fp, title, count=3)
    over = first.data.model_copy(update={"status": "resolved_by_source", "reason": "resolved"})
    env = fake.env(url, ALERTORCH_SLACK__DIGEST_INTERVAL_SECONDS="1")
    with running_service("notifier", bootstrap=kafka_bootstrap, env=env):
        for event, resolved in (
            (first, False),
            (unfixed(fp, title).model_copy(update={"data": over}), True),
            (unfixed(fp, title, count=40), False),
        ):
            await produce(kafka_bootstrap, RESOLUTIONS, [event.to_json_bytes()], key=fp.encode())
            count = event.data.summary.count
            for _ in range(300):
                cards = [(m.occurrences, "Resolved" in str(m.blocks)) for m in _cards(fake, title)]
                if cards and all(card == (count, resolved) for card in cards):
                    break
                await asyncio.sleep(0.1)
            assert cards, f"no card for {title!r}"
            assert all(card == (count, resolved) for card in cards), cards
    posts = [a for method, a in fake.requests if method == "chat.postMessage"]
    roots = [a for a in posts if title in str(a.get("text", "")) and not a.get("thread_ts")]
    assert len(roots) == len(_cards(fake, title)), "one card per channel, posted once"


def _cards(fake: FakeSlack, title: str) -> list[Message]:
    """The roots about the problem titled ``title`` (the broker is shared: others' may come)."""
    return [m for m in fake.roots() if title in m.text]
