"""Many problems, one cause: 30 problems of one service arrive in one burst and the analyzer puts
them in one incident. The analyzer, the resolver and the notifier run as processes on a broker
of their own, and Slack (a fake speaking its Web API) gets one card per channel for the
incident, listing its problems told there with their exact counts (all 30 in #alerts), while a
problem of another service keeps a card of its own. From the third related problem on, the
rules' cascade scenario opens each at level 2."""

from __future__ import annotations

import asyncio
import os
from collections import Counter, defaultdict
from contextlib import ExitStack
from pathlib import Path

import pytest

from shared.events import Notification, NotificationData, RawError, lift_custom_alert
from shared.topics import ERRORS_RAW, NOTIFICATIONS
from tests.fakes.server import serving
from tests.fakes.slack import FakeSlack
from tests.faults.pipeline import REPO, decoded, wait_for
from tests.kafka_helpers import produce_keyed
from tests.procs import running_service

pytestmark = [pytest.mark.broker, pytest.mark.e2e]

PROBLEMS = 30


#: 30 titles far enough apart that duplicate suppression (prevention_rules) keeps each.
TITLES = [
    f"{part} {failure}"
    for part in ("Cart", "Payment gateway", "Stock reservation", "Coupon", "Shipping quote", "Tax")
    for failure in ("timed out", "refused the connection", "returned garbage", "crashed", "hung")
]


def _alert(service: str, title: str) -> RawError:
    alert = {
        "title": title,
        "severity": "high",
        "source": service,
        "environment": "production",
    }
    return lift_custom_alert(alert, origin="custom", producer="/test")


def _burst() -> tuple[list[RawError], Counter[str]]:
    """Problem ``n`` of the checkout service ``n % 4 + 1`` times, interleaved, then one error of
    the billing service; and the count of each title."""
    assert len(set(TITLES)) == PROBLEMS
    errors = [
        _alert("checkout", TITLES[n])
        for round_ in range(4)
        for n in range(PROBLEMS)
        if n % 4 >= round_
    ]
    errors.append(_alert("billing", "Invoice renderer crashed"))
    return errors, Counter(e.data.title for e in errors)


@pytest.mark.timeout(300)
async def test_a_burst_of_related_problems_is_one_incident_card_per_channel(
    own_broker: str, tmp_path: Path
) -> None:
    marker = os.urandom(3).hex()
    errors, counts = _burst()
    checkout = {title: n for title, n in counts.items() if title in TITLES}
    slack = FakeSlack()
    slack.add_channel("#dev-team", "C0DEVTEAM")
    with serving(slack.app()) as slack_url, ExitStack() as stack:
        env = slack.env(
            slack_url,
            ALERTORCH_CONFIG_DIR=str(REPO / "config"),
            ALERTORCH_STORAGE__DATA_DIRECTORY=str(tmp_path),
            ALERTORCH_KAFKA__GROUP_PREFIX=f"incidents-{marker}",
            ALERTORCH_SLACK__DIGEST_INTERVAL_SECONDS="1",
            ALERTORCH_SLACK__DIGEST_MAX_INTERVAL_SECONDS="2",
            ALERTORCH_SLACK__DIGEST_UPDATES_PER_TICK="10",
        )
        for name in ("analyzer", "resolver", "notifier"):
            stack.enter_context(running_service(name, bootstrap=own_broker, env=env))
        await produce_keyed(
            own_broker, ERRORS_RAW, [(e.subject.encode(), e.to_json_bytes()) for e in errors]
        )

        async def first_alerts() -> list[NotificationData]:
            return [
                e.data
                for e in await decoded(own_broker, NOTIFICATIONS)
                if isinstance(e, Notification) and e.data.kind == "new_alert"
            ]

        async def problems_alerted() -> int:
            return len({n.fingerprint for n in await first_alerts()})

        await wait_for(problems_alerted, PROBLEMS + 1, 120)
        # Each channel's card lists the problems whose first alert went there.
        expected: dict[str, dict[str, int]] = defaultdict(dict)
        for alert in await first_alerts():
            for target in alert.targets:
                if (
                    target.type == "slack"
                    and target.channel
                    and alert.summary.service == "checkout"
                ):
                    channel_id = slack.channels[target.channel][0]
                    expected[channel_id][alert.summary.title] = checkout[alert.summary.title]

        async def exact_cards() -> int:
            return sum(
                any(card.problems == listed for card in slack.roots(channel))
                for channel, listed in expected.items()
            )

        await wait_for(exact_cards, len(expected), 120)
        await asyncio.sleep(3)  # room for a second card, if there were one
        alerts = await first_alerts()

    # The analyzer put the checkout problems in one incident, the billing one in its own.
    incidents = {a.summary.service: a.summary.incident for a in alerts}
    assert incidents["checkout"] is not None
    assert incidents["billing"] is not None
    assert incidents["checkout"].id != incidents["billing"].id
    # Every checkout problem is on its channel's one card, exact: all 30 in #alerts.
    assert expected[slack.channels["#alerts"][0]] == checkout
    for channel, listed in expected.items():
        cards = [m for m in slack.roots(channel) if "Invoice" not in m.text]
        assert len(cards) == 1, f"{channel}: {len(cards)} cards for one incident"
        assert cards[0].problems == listed
        assert f"Incident: {len(listed)} problems" in cards[0].text
    billing = [m for m in slack.roots() if "Invoice renderer crashed" in m.text]
    assert len(billing) >= 1, "the billing problem has no card of its own"
    assert not any(m.problems for m in billing)
    # The cascade scenario: from the third related problem on, a problem opens at level 2.
    levels = {
        a.summary.incident.problems: a.level
        for a in alerts
        if a.summary.service == "checkout" and a.summary.incident is not None
    }
    assert sorted(levels) == list(range(1, PROBLEMS + 1))
    assert {levels[1], levels[2]} == {1}
    assert {levels[n] for n in range(3, PROBLEMS + 1)} == {2}
