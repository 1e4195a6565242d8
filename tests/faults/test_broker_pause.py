"""The broker freezes (SIGSTOP) for 30 s under ingest, the analyzer, the resolver and the
notifier, each a process, while alerts posted to ingest just before are still flowing; then it
goes on (SIGCONT).

While it is frozen every service reports itself unready and ingest answers new alerts 503 with
Retry-After (never hangs); senders that retry as told, under their Idempotency-Key, have their
alerts in once it goes on. Afterwards every service is ready again by itself; every accepted
alert is classified exactly once (exact counts per problem), each problem's Slack root is posted
once and shows that count, no fix runs twice, and nothing refused is half-published: no event
reaches ``errors.raw`` that no accepted answer covers.

The producer may send a request again that the frozen broker had already taken, so one event can
reach ``errors.raw`` twice (same id): the analyzer counts it once (it skips event ids it counted
within ``analyzer.duplicate_window_seconds``). No valid message is dead-lettered."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from services.ingest.custom_alert import SOURCE as CUSTOM
from shared.events import derived_event_id
from shared.kafka.embedded import EmbeddedBroker
from shared.topics import ERRORS_CLASSIFIED, ERRORS_RAW, TOPICS
from tests.fakes.server import serving
from tests.fakes.slack import FakeSlack
from tests.faults.pipeline import (
    Progress,
    assert_each_fix_and_root_once,
    counted,
    decoded,
    fix_config,
    problem_of,
    serving_runbook,
    stuck_worker,
    wait_for,
)
from tests.kafka_helpers import read_all
from tests.procs import ServiceProcess, running_service, wait_http

pytestmark = [pytest.mark.broker, pytest.mark.e2e]

SERVICES = ("ingest", "analyzer", "resolver", "notifier")
PROBLEMS = 3
BEFORE = 60  # accepted just before the pause, still flowing when it starts
DURING = 6  # posted while the broker is frozen: refused, then sent again as told
AFTER = 3
PAUSE = 30.0
TOKEN = "pause-test-token"
PUBLISH_TIMEOUT = 2
RETRY_AFTER = 3
#: How long a service may take to report the frozen broker, and to be ready again after it.
UNREADY_WITHIN = 10.0
READY_WITHIN = 30.0
#: How long the Slack cards may take to show the final counts once every alert is classified.
SHOWN_WITHIN = 120.0
#: What each problem's worker runs: titles that share too few words for the notifier to take
#: one problem for a duplicate of another.
JOBS = ("billing ledger export", "search index rebuild", "email digest sender")


@contextmanager
def frozen(broker: EmbeddedBroker) -> Iterator[None]:
    """The broker's process stopped (SIGSTOP) until the block ends, then continued."""
    assert broker.pid is not None
    os.kill(broker.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(broker.pid, signal.SIGCONT)


@dataclass
class Sender:
    """Posts custom alerts, each under its own Idempotency-Key, again after each 503 as its
    Retry-After says; counts the refusals and how long ingest took to give each."""

    client: httpx.AsyncClient
    url: str
    refused: Counter[str] = field(default_factory=Counter)
    refusal_seconds: list[float] = field(default_factory=list)

    async def send(self, key: str, alert: dict[str, str]) -> str:
        """The id of the accepted event (derived from the key)."""
        headers = {"Authorization": f"Bearer {TOKEN}", "Idempotency-Key": key}
        event_id = derived_event_id(CUSTOM, key)
        for _ in range(30):
            started = time.monotonic()
            answer = await self.client.post(self.url, json=alert, headers=headers)
            if answer.status_code == 202:
                assert answer.json()["id"] == event_id
                return event_id
            if answer.status_code == 200:  # a refused attempt's event landed after all
                assert answer.json()["status"] == "duplicate", answer.text
                return event_id
            assert answer.status_code == 503, answer.text
            self.refusal_seconds.append(time.monotonic() - started)
            self.refused[key] += 1
            retry_after = answer.headers.get("Retry-After", "")
            assert retry_after.isdigit(), f"503 without a Retry-After: {answer.headers}"
            await asyncio.sleep(int(retry_after))
        raise AssertionError(f"{key} was never accepted")


def _answering(
    client: httpx.AsyncClient, services: dict[str, ServiceProcess], status: int
) -> Progress:
    """How many of ``services`` answer ``status`` on ``/readyz``."""

    async def progress() -> int:
        urls = [f"{service.url}/readyz" for service in services.values()]
        answers = await asyncio.gather(*(client.get(url) for url in urls))
        return sum(answer.status_code == status for answer in answers)

    progress.__name__ = f"services answering {status}"
    return progress


async def _seconds_until(progress: Progress, at_least: int, within: float) -> float:
    started = time.monotonic()
    await wait_for(progress, at_least, within)
    seconds = time.monotonic() - started
    assert seconds < within, f"{progress.__name__} reached {at_least} after {seconds:.1f} s"
    return seconds


# a 30-s pause of the broker under four service processes: slower than the default limit
@pytest.mark.timeout(300)
async def test_broker_paused_services_go_unready_recover_and_lose_nothing(
    own_embedded_broker: EmbeddedBroker, tmp_path: Path
) -> None:
    broker = own_embedded_broker
    bootstrap = broker.bootstrap_servers
    marker = os.urandom(3).hex()
    slack = FakeSlack()
    slack.add_channel("#dev-team", "C0DEVTEAM")
    with (
        serving_runbook() as (calls, runbook_url),
        serving(slack.app()) as slack_url,
        ExitStack() as stack,
    ):
        env = {
            **fix_config(tmp_path / "config", marker, runbook_url),
            **slack.env(slack_url),
            "ALERT_WEBHOOK_TOKEN": TOKEN,
            "ALERTORCH_INGEST__PUBLISH_TIMEOUT_SECONDS": str(PUBLISH_TIMEOUT),
            "ALERTORCH_INGEST__RETRY_AFTER_SECONDS": str(RETRY_AFTER),
            "ALERTORCH_SLACK__DIGEST_INTERVAL_SECONDS": "1",
            "ALERTORCH_SLACK__DIGEST_MAX_INTERVAL_SECONDS": "5",
            "ALERTORCH_SLACK__PER_CHANNEL_MESSAGES_PER_SECOND": "10",
        }
        services = {
            name: stack.enter_context(
                running_service(name, bootstrap=bootstrap, env=env, ready=False)
            )
            for name in SERVICES
        }
        await asyncio.gather(
            *(
                asyncio.to_thread(wait_http, f"{s.url}/readyz", timeout=120)
                for s in services.values()
            )
        )
        async with httpx.AsyncClient(timeout=PUBLISH_TIMEOUT + 8) as client:
            sender = Sender(client, f"{services['ingest'].url}/webhooks/alert")

            def send(phase: str, count: int) -> list[asyncio.Task[str]]:
                return [
                    asyncio.create_task(sender.send(f"{phase}-{n}", _alert(marker, n % PROBLEMS)))
                    for n in range(count)
                ]

            accepted = await asyncio.gather(*send("before", BEFORE))
            assert not sender.refused, "refused before the pause"
            with frozen(broker):
                frozen_at = time.monotonic()
                await _seconds_until(
                    _answering(client, services, 503), len(services), UNREADY_WITHIN
                )
                during = send("during", DURING)

                async def refused() -> int:
                    return len(sender.refused)

                await wait_for(refused, DURING, PUBLISH_TIMEOUT + 5)
                assert not any(task.done() for task in during), "accepted while frozen"
                await asyncio.sleep(PAUSE - (time.monotonic() - frozen_at))
                still = await _answering(client, services, 503)()
                assert still == len(services), "a service turned ready while the broker was frozen"
            await _seconds_until(_answering(client, services, 200), len(services), READY_WITHIN)
            accepted += await asyncio.gather(*during)
            accepted += await asyncio.gather(*send("after", AFTER))
        assert len(set(accepted)) == BEFORE + DURING + AFTER
        assert max(sender.refusal_seconds) < PUBLISH_TIMEOUT + 2, "ingest hung before its 503"
        total = len(accepted)

        async def classified() -> int:
            return len({e.correlationid for e in await decoded(bootstrap, ERRORS_CLASSIFIED)})

        assert await wait_for(classified, total, 60) == total
        counts = counted(await decoded(bootstrap, ERRORS_CLASSIFIED))

        async def shown_in_slack() -> int:
            """Problems whose Slack roots show the count the analyzer reached."""
            shown: Counter[str] = Counter()
            for message in slack.roots():
                problem = problem_of(message.body)
                shown[problem] = max(shown[problem], message.occurrences)
            return sum(shown[problem] == count for problem, count in counts.items())

        # The cards follow the counts as fast as the notifier works off the backlog the pause
        # left (one delivery at a time); on a loaded machine that took about a minute.
        try:
            await wait_for(shown_in_slack, PROBLEMS, SHOWN_WITHIN)
        except AssertionError as exc:
            cards = [(m.channel, problem_of(m.body), m.occurrences) for m in slack.roots()]
            raise AssertionError(f"{exc}: counted {counts}, cards show {cards}") from None
        await asyncio.sleep(3)  # room for a second post or a second fix, if there were one
        for name, service in services.items():
            assert service.process.poll() is None, f"the {name} died"

    for spec in TOPICS:
        lost = await read_all(bootstrap, spec.dlq)
        assert not lost, f"{len(lost)} valid message(s) dead-lettered on {spec.dlq}"
    raw = await decoded(bootstrap, ERRORS_RAW)
    assert {e.id for e in raw} == set(accepted), "an event no accepted answer covers was published"
    outputs = await decoded(bootstrap, ERRORS_CLASSIFIED)
    assert {e.correlationid for e in outputs} == set(accepted)
    assert len(counts) == PROBLEMS
    exact = dict.fromkeys(counts, total // PROBLEMS)
    # a request the producer sent again after the frozen broker had taken it lands twice on
    # errors.raw (same id): it is one occurrence, counted once
    assert counts == exact, f"counts are not exact: {counts}, not {exact}"
    assert_each_fix_and_root_once(calls, slack, set(counts))


def _alert(marker: str, problem: int) -> dict[str, str]:
    alert = stuck_worker(marker, problem)
    return {**alert, "title": f"{alert['title']} ({JOBS[problem]})"}
