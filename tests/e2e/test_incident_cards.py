"""Many problems, one cause: 30 problems of one service arrive in one burst and the analyzer puts
them in one incident. The analyzer, the resolver and the notifier run as processes on a broker
of their own, and Slack (a fake speaking its Web API) gets one card per channel for the
incident, listing all 30 problems with their exact counts, while a problem of another service
keeps a card of its own."""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

import pytest

from shared.events import ClassifiedError, RawError, lift_custom_alert
from shared.topics import ERRORS_CLASSIFIED, ERRORS_RAW
from tests.fakes.server import serving
from tests.fakes.slack import FakeSlack, Message
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

        def incident_cards() -> list[Message]:
            return [m for m in slack.roots() if m.problems]

        async def exact_cards() -> int:
            return sum(card.problems == checkout for card in incident_cards())

        async def channels_told() -> int:
            return len({m.channel for m in slack.roots()})

        await wait_for(channels_told, 1, 120)
        await asyncio.sleep(5)  # every channel the rules tell has its first root by now
        channels = {m.channel for m in slack.roots() if "Invoice" not in m.text}
        try:
            await wait_for(exact_cards, len(channels), 120)
        except AssertionError:
            for m in slack.roots():
                print("ROOT", m.channel, m.ts, m.edits, m.text[:100], m.problems)
            raise
        await asyncio.sleep(3)  # room for a second card, if there were one

    classified = await decoded(own_broker, ERRORS_CLASSIFIED)
    incidents = {
        e.data.error.service: e.data.incident.id
        for e in classified
        if isinstance(e, ClassifiedError) and e.data.incident is not None
    }
    assert set(incidents) == {"checkout", "billing"}
    assert incidents["checkout"] != incidents["billing"]
    for channel in channels:
        roots = slack.roots(channel)
        checkout_roots = [m for m in roots if "Invoice" not in m.text]
        assert len(checkout_roots) == 1, f"{channel}: {len(checkout_roots)} checkout cards"
        card = checkout_roots[0]
        assert card.problems == checkout
        assert f"Incident: {PROBLEMS} problems" in card.text
    billing = [m for m in slack.roots() if "Invoice renderer crashed" in m.text]
    assert billing, "the billing problem has no card of its own"
    assert not any("Invoice" in title for card in incident_cards() for title in card.problems)
