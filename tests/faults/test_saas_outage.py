"""Slack, PagerDuty and GitHub go down for a minute under the analyzer, the resolver and the
notifier, each a process, while problems stream in: Slack answers 500 (its server error page),
then 429 (``ratelimited``, with Retry-After), then 500 again, 20 s each; PagerDuty answers 500
and GitHub 502 throughout.

The notifier keeps working meanwhile: each escalation timer that falls due during the outage
fires on time (its notification is published within a second or two of its due time, while
nothing can be delivered). Once the vendors answer again, delivery resumes at once (the posts
Slack refused used up no channel's hourly budget) and every notification reaches each of its
targets exactly once: every Slack message is one delivery's, one root per problem and channel,
no digest twice; PagerDuty gets each event once; GitHub one issue per problem and one comment
per later notification. Every input is accounted for (classified with exact counts, decided) and
no fix runs twice."""

from __future__ import annotations

import asyncio
import json
import os
import re
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
import yaml

from services.notifier.delivery.pagerduty_events import dedup_key, event_action
from services.notifier.dispatcher import SOURCE as DELIVERY
from services.notifier.dispatcher import target_key
from services.notifier.outbox import Outbox
from services.notifier.tables import SCHEMA
from shared.events import (
    AuditRecord,
    Notification,
    RawError,
    derived_event_id,
    lift_custom_alert,
)
from shared.storage import Database
from shared.topics import AUDIT, ERRORS_CLASSIFIED, ERRORS_RAW, NOTIFICATIONS, RESOLUTIONS, topic
from tests.fakes.github import FakeGitHub
from tests.fakes.pagerduty import FakePagerDuty
from tests.fakes.server import serving
from tests.fakes.slack import FakeSlack, Message
from tests.faults.pipeline import (
    counted,
    decoded,
    fix_config,
    insert_pattern,
    numbered_alert,
    problem_of,
    serving_runbook,
    stuck_worker,
    wait_for,
)
from tests.kafka_helpers import produce_keyed, read_all
from tests.procs import running_service, wait_http
from tests.service.test_notifier_service import _title

pytestmark = [pytest.mark.broker, pytest.mark.e2e]

FIXED = 3  # problems bound to an automatic fix (level 1: Slack)
PAGED = 3  # problems without a fix (level 2: Slack, PagerDuty, GitHub; then level 3)
EACH = 15  # occurrences per problem: below the rules' 20-an-hour frequency trigger
OUTAGE = 60.0
#: Slack's answers while it is down: each status until so many seconds into the outage.
SLACK_DOWN = ((20.0, 500), (40.0, 429), (OUTAGE, 500))
TIMEOUT_MINUTES = 0.1  # level 2 escalates to level 3 after 6 s without an acknowledgement
QUIET = 5.0  # no notification for this long: the policy has said everything it will
#: How far past its due time an escalation may be published: timers tick each 1 s (1 s after
#: the last tick ended), plus the ticks' own work on a loaded machine.
LATE = 3.5
REPOSITORY = "acme/web"
#: How many updates a digest reply says it shows ("(3 updates)"; one when it says nothing).
UPDATES = re.compile(r"\(([\d,]+) updates\)")
ROUTING_KEY = "R0UT1NGKEY0UTAGE0000000000000001"
VENDORS = ("slack", "pagerduty", "github")


def _config(folder: Path, marker: str, runbook_url: str) -> dict[str, str]:
    """:func:`fix_config` plus a pattern without a fix, of critical severity, and escalation
    rules in which level 2 also opens a GitHub issue and escalates after seconds, and level 3
    comments on it."""
    env = fix_config(folder, marker, runbook_url)
    insert_pattern(
        folder,
        {
            "id": f"ledger_unreachable_{marker}",
            "name": "Ledger unreachable",
            "pattern": rf"\bledger unreachable {marker}\b",
            "category": "dependency",
            "severity": "critical",
            "confidence": 0.95,
        },
    )
    path = folder / "escalation_rules.yaml"
    rules = yaml.safe_load(path.read_text())
    levels = rules["escalation_levels"]
    levels["level_2"]["timeout_minutes"] = TIMEOUT_MINUTES
    for level in ("level_2", "level_3"):
        levels[level]["actions"].append({"type": "github_issue", "repository": REPOSITORY})
    limits = rules["prevention_rules"]["rate_limiting"]
    limits.update(max_escalations_per_hour=1000, cooldown_between_escalations=0)
    path.write_text(yaml.safe_dump(rules))
    return env


def _ledger_down(marker: str, problem: int) -> dict[str, str]:
    """A custom alert of paged problem number ``problem`` (matching no fix)."""
    title = f"Ledger unreachable {marker} from region"
    return numbered_alert(title, "critical", "ledger", marker, problem)


def _errors(marker: str) -> list[RawError]:
    alerts = [stuck_worker(marker, n) for n in range(FIXED)]
    alerts += [_ledger_down(marker, n) for n in range(PAGED)]
    # Titles of their own words (spelt from n): none is suppressed as a duplicate of another.
    alerts = [{**a, "title": _title(a["title"], f"{n:08d}")} for n, a in enumerate(alerts)]
    return [
        lift_custom_alert(alert, origin="custom", producer="/test")
        for _ in range(EACH)
        for alert in alerts
    ]


async def _notifications(bootstrap: str) -> list[tuple[float, Notification]]:
    """Every notification with the time (epoch seconds) the notifier published it."""
    spec = topic(NOTIFICATIONS)
    out = []
    for record in await read_all(bootstrap, NOTIFICATIONS):
        event = spec.decode(record.value)
        assert isinstance(event, Notification)
        out.append((record.timestamp / 1000, event))
    return out


async def _quiet(bootstrap: str, seconds: float, within: float) -> list[Notification]:
    """The notifications, once none has been published for ``seconds``."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        stamped = await _notifications(bootstrap)
        if time.time() - max(at for at, _ in stamped) >= seconds:
            return [n for _, n in stamped]
        await asyncio.sleep(0.5)
    raise AssertionError(f"notifications still published after {within} s")


def _deliveries(notifications: list[Notification]) -> dict[str, tuple[Notification, str]]:
    """The id of the audit record a successful delivery leaves -> (notification, target key),
    for every target of every notification."""
    return {
        derived_event_id(n.id, "delivery", target_key(t), "succeeded"): (n, target_key(t))
        for n in notifications
        for t in n.data.targets
    }


# a minute's outage under three service processes: slower than the suite's default limit
@pytest.mark.timeout(200)
async def test_slack_pagerduty_github_down_for_a_minute_timers_on_time_then_all_once(
    own_broker: str, tmp_path: Path
) -> None:
    marker = os.urandom(3).hex()
    slack, pagerduty, github = FakeSlack(), FakePagerDuty(), FakeGitHub()
    slack.add_channel("#dev-team", "C0DEVTEAM")
    slack.add_channel("#management", "C0MANAGEMENT")
    errors = _errors(marker)
    fingerprints = list(dict.fromkeys(e.data.fingerprint for e in errors))
    fixed, paged = fingerprints[:FIXED], fingerprints[FIXED:]
    assert len(paged) == PAGED
    with (
        serving_runbook() as (calls, runbook_url),
        serving(slack.app()) as slack_url,
        serving(pagerduty.app()) as pagerduty_url,
        serving(github.app()) as github_url,
        ExitStack() as stack,
    ):
        env = {
            **_config(tmp_path / "config", marker, runbook_url),
            **slack.env(slack_url),
            # the backlog drains in seconds once Slack is back (and refused posts come fast)
            "ALERTORCH_SLACK__PER_CHANNEL_MESSAGES_PER_SECOND": "10",
            "ALERTORCH_KAFKA__GROUP_PREFIX": f"outage-{marker}",
            "PAGERDUTY_API_KEY": ROUTING_KEY,
            "ALERTORCH_INTEGRATIONS__PAGERDUTY__ENABLED": "true",
            "ALERTORCH_INTEGRATIONS__PAGERDUTY__EVENTS_URL": f"{pagerduty_url}/v2/enqueue",
            "GITHUB_TOKEN": github.token,
            "ALERTORCH_INTEGRATIONS__GITHUB__ENABLED": "true",
            "ALERTORCH_INTEGRATIONS__GITHUB__API_URL": github_url,
            "ALERTORCH_INTEGRATIONS__GITHUB__REPOSITORY": REPOSITORY,
        }
        services = [
            stack.enter_context(running_service(name, bootstrap=own_broker, env=env, ready=False))
            for name in ("analyzer", "resolver", "notifier")
        ]
        await asyncio.gather(
            *(asyncio.to_thread(wait_http, f"{s.url}/readyz", timeout=120) for s in services)
        )

        started = time.monotonic()
        back_at = time.time() + OUTAGE
        for until, status in SLACK_DOWN:
            slack.outage.down(started + until, status)
        pagerduty.outage.down(started + OUTAGE, 500)
        github.outage.down(started + OUTAGE, 502)
        await produce_keyed(
            own_broker, ERRORS_RAW, [(e.subject.encode(), e.to_json_bytes()) for e in errors]
        )

        async def escalated() -> int:
            return sum(n.data.kind == "escalation" for _, n in await _notifications(own_broker))

        # Every paged problem's timer falls due within seconds, deep inside the outage.
        await wait_for(escalated, PAGED, OUTAGE / 2)
        stamped = await _notifications(own_broker)
        assert not slack.posted(), "Slack was down, yet a message went through"
        assert slack.outage.refused, "the notifier never called Slack while it was down"
        for fp in paged:
            mine = [(at, n) for at, n in stamped if n.data.fingerprint == fp]
            escalations = [at for at, n in mine if n.data.kind == "escalation"]
            opened_at, opened = mine[0]
            assert opened.data.level == 2, f"{fp} opened at level {opened.data.level}"
            due = opened_at + TIMEOUT_MINUTES * 60
            [fired] = escalations
            assert due - 0.5 <= fired <= due + LATE, f"{fp} escalated {fired - due:+.1f} s late"
            assert fired < back_at, "the escalation waited for the outage to end"

        async def classified() -> int:
            return len({e.id for e in await decoded(own_broker, ERRORS_CLASSIFIED)})

        async def decided() -> int:
            return len({e.correlationid for e in await decoded(own_broker, RESOLUTIONS)})

        assert await wait_for(classified, len(errors), 30) == len(errors)
        assert await wait_for(decided, len(errors), 30) == len(errors)
        # every fix verified (or not) and told: no more notifications
        notifications = await _quiet(own_broker, QUIET, 30)
        expected = _deliveries(notifications)

        async def delivered() -> int:
            records = await decoded(own_broker, AUDIT)
            return len({r.id for r in records if r.id in expected})

        # 5xx retries wait 5 s (Slack), 10 s (PagerDuty) and 30 s (GitHub): all done well
        # within a minute of the outage's end.
        remaining = OUTAGE - (time.monotonic() - started)
        try:
            await wait_for(delivered, len(expected), remaining + 60)
        except AssertionError as late:
            records = {r.id for r in await decoded(own_broker, AUDIT)}
            missing = {key for key in expected if key not in records}
            not_delivered = await _undelivered(tmp_path, expected, missing)
            raise AssertionError(f"{late}; {not_delivered}") from None
        await asyncio.sleep(3)  # room for a second post, page or issue, if there were one
        audit = [r for r in await decoded(own_broker, AUDIT) if isinstance(r, AuditRecord)]
        assert len(await _notifications(own_broker)) == len(notifications)

    counts = counted(await decoded(own_broker, ERRORS_CLASSIFIED))
    assert counts == dict.fromkeys(fingerprints, EACH), "counts are not exact"
    assert calls, "no fix ran"
    assert {fp for fp, _ in calls} <= set(fixed), "a problem without a fix was fixed"
    assert set(calls.values()) == {1}, f"a fix ran twice: {calls.most_common(3)}"
    _assert_each_delivered_once(audit, expected)
    _assert_slack_once(slack, audit, expected)
    _assert_pagerduty_once(pagerduty, notifications)
    _assert_github_once(github, notifications)
    for fake in (slack, pagerduty, github):
        assert fake.outage.refused, f"{type(fake).__name__} was never called while down"


async def _undelivered(
    tmp_path: Path, expected: dict[str, tuple[Notification, str]], missing: set[str]
) -> str:
    """What the notifier's outbox says of the deliveries ``missing`` (audit ids of
    ``expected``): each one's kind, target, status, attempts, last error and when it is due."""
    database = Database(f"sqlite:///{tmp_path / 'data' / 'notifier.db'}", schemas=[SCHEMA])
    store, now, found = Outbox(database), time.time(), []
    try:
        for key in sorted(missing):
            notification, target = expected[key]
            row = await store.outbox(notification.id, target)
            if row is None:
                found.append(f"{notification.data.kind} to {target}: not in the outbox")
                continue
            due = f", due in {row.due_at - now:.1f} s" if row.due_at else ""
            error = f" ({row.error})" if row.error else ""
            found.append(
                f"{notification.data.kind} to {target}: {row.status} after {row.attempts}"
                f" attempts{due}{error}"
            )
    finally:
        await database.close()
    return f"not delivered ({len(missing)}): {found}"


def _assert_each_delivered_once(
    audit: list[AuditRecord], expected: dict[str, tuple[Notification, str]]
) -> None:
    """Each notification's delivery to each target succeeded exactly once; none failed."""
    succeeded = Counter(r.id for r in audit if r.id in expected)
    assert set(succeeded.values()) == {1}, f"delivered twice: {succeeded.most_common(3)}"
    failed = [
        (r.data.action, r.data.target, r.data.details.get("error"))
        for r in audit
        if r.source == DELIVERY and r.data.outcome == "failed"
    ]
    assert not failed, f"deliveries failed: {failed[:3]}"
    assert {target.split(":")[0] for _, target in expected.values()} >= set(VENDORS)


def _assert_slack_once(
    slack: FakeSlack, audit: list[AuditRecord], expected: dict[str, tuple[Notification, str]]
) -> None:
    """Every Slack root and reply is the one delivery that names it, each problem has one root
    in each channel it was sent to, and no digest of a thread (a reply no delivery names: the
    updates folded into the root meanwhile) is posted twice: a thread's digests add up to no
    more updates than were folded into its root. (The updates of one run, delivered together,
    all name the one message they were sent as.) (Two digests may read alike: after the outage
    the retried updates arrive again with one text and the final count.)"""
    named = [
        r
        for r in audit
        if r.id in expected
        and expected[r.id][1].startswith("slack:")
        and not r.data.details.get("coalesced")
    ]
    # A run of updates folded into one send names its message once for each of them.
    alone = [str(r.data.details["reference"]) for r in named if not r.data.details.get("folded")]
    runs = {str(r.data.details["reference"]) for r in named if r.data.details.get("folded")}
    references = alone + sorted(runs)
    assert len(set(references)) == len(references), "two deliveries name one message"
    delivered = [m for m in slack.posted() if m.thread_ts is None or not _digest(m)]
    assert sorted(m.ts for m in delivered) == sorted(references), "a message is no delivery's"
    problem_by_root = {(m.channel, m.ts): problem_of(m.body) for m in slack.roots()}
    folded: Counter[tuple[str, str]] = Counter(
        (slack.channels[expected[r.id][1].split(":", 1)[1]][0], expected[r.id][0].data.fingerprint)
        for r in audit
        if r.id in expected
        and expected[r.id][1].startswith("slack:")
        and r.data.details.get("coalesced")
    )
    digested: Counter[tuple[str, str]] = Counter()
    for m in slack.posted():
        if m not in delivered:
            found = UPDATES.search(json.dumps(m.blocks))
            key = (m.channel, problem_by_root[(m.channel, str(m.thread_ts))])
            digested[key] += int(found.group(1).replace(",", "")) if found else 1
    over = {key: (n, folded[key]) for key, n in digested.items() if n > folded[key]}
    assert not over, f"digests show more updates than were folded in (a digest twice): {over}"
    roots = Counter((m.channel, problem_of(m.body)) for m in slack.roots())
    assert set(roots.values()) == {1}, f"a root was posted twice: {roots.most_common(3)}"
    wanted = {
        (slack.channels[target.split(":", 1)[1]][0], n.data.fingerprint)
        for n, target in expected.values()
        if target.startswith("slack:")
    }
    assert set(roots) == wanted, f"roots missing: {sorted(wanted - set(roots))}"


def _digest(message: Message) -> bool:
    """Whether ``message`` is a digest reply (a redraw posts it; no delivery names it)."""
    metadata = message.body.get("metadata") or {}
    return bool(metadata.get("event_type") == "alertorch_digest")


def _assert_pagerduty_once(pagerduty: FakePagerDuty, notifications: list[Notification]) -> None:
    """PagerDuty received each event of each notification sent to it once, by dedup key."""
    wanted: Counter[tuple[str, str, Any]] = Counter()
    for n in notifications:
        action = event_action(n.data)
        if action is not None and any(t.type == "pagerduty" for t in n.data.targets):
            level = n.data.level if action == "trigger" else None
            wanted[(dedup_key(n.data.fingerprint), action, level)] += 1
    received = Counter(
        (
            e["dedup_key"],
            e["event_action"],
            e.get("payload", {}).get("custom_details", {}).get("escalation_level"),
        )
        for e in pagerduty.events
    )
    assert wanted, "nothing was sent to PagerDuty"
    assert received == wanted, f"PagerDuty got {received}, not {wanted}"


def _assert_github_once(github: FakeGitHub, notifications: list[Notification]) -> None:
    """One issue per problem sent to GitHub, and one comment on it per later notification."""
    sent = Counter(
        n.data.fingerprint for n in notifications if any(t.type == "github" for t in n.data.targets)
    )
    assert sent, "nothing was sent to GitHub"
    issues = Counter(
        fp for issue in github.issues.values() for fp in sent if fp in str(issue["body"])
    )
    assert issues == dict.fromkeys(sent, 1), f"issues per problem: {issues}"
    for (repository, number), issue in github.issues.items():
        [fp] = [fp for fp in sent if fp in str(issue["body"])]
        comments = github.comments.get((repository, number), [])
        assert len(comments) == sent[fp] - 1, f"{fp}: {len(comments)} comments, {sent[fp]} sent"
