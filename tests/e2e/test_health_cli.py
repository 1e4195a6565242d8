"""``alertorch health`` as an operator runs it: against a broker of its own, a running ingest,
and the fake Sentry and Slack; then with wrong tokens, a dead letter and a lagging group; then
with no broker at all (a clear line, no traceback)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiosmtpd.controller import Controller

from tests.fakes.github import FakeGitHub
from tests.fakes.pagerduty import FakePagerDuty
from tests.fakes.sentry import ORG, TOKEN, FakeSentry, serving_sentry
from tests.fakes.server import serving
from tests.fakes.slack import FakeSlack
from tests.kafka_helpers import produce_keyed
from tests.procs import cli, free_port_block, running_service

pytestmark = pytest.mark.e2e


@pytest.fixture
def sentry_url() -> Iterator[str]:
    with serving_sentry(FakeSentry(prefix="1")) as url:
        yield url


@pytest.fixture
def slack_url() -> Iterator[str]:
    with serving(FakeSlack().app()) as url:
        yield url


@pytest.fixture
def others() -> Iterator[dict[str, str]]:
    """GitHub, PagerDuty and an SMTP server, and the settings pointing at them."""
    smtp = Controller(Sink(), hostname="127.0.0.1", port=free_port_block(1))
    smtp.start()
    try:
        with serving(FakeGitHub().app()) as github, serving(FakePagerDuty().app()) as pagerduty:
            yield {
                "GITHUB_TOKEN": "ghp_test",
                "ALERTORCH_INTEGRATIONS__GITHUB__ENABLED": "true",
                "ALERTORCH_INTEGRATIONS__GITHUB__API_URL": github,
                "ALERTORCH_INTEGRATIONS__GITHUB__REPOSITORY": "acme/web",
                "PAGERDUTY_API_KEY": "r" * 32,
                "ALERTORCH_INTEGRATIONS__PAGERDUTY__ENABLED": "true",
                "ALERTORCH_INTEGRATIONS__PAGERDUTY__EVENTS_URL": f"{pagerduty}/v2/enqueue",
                "ALERTORCH_INTEGRATIONS__EMAIL__ENABLED": "true",
                "ALERTORCH_INTEGRATIONS__EMAIL__SMTP_HOST": "127.0.0.1",
                "ALERTORCH_INTEGRATIONS__EMAIL__SMTP_PORT": str(smtp.port),
                "ALERTORCH_INTEGRATIONS__EMAIL__STARTTLS": "false",
            }
    finally:
        smtp.stop()


class Sink:
    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        return "250 OK"


def _env(bootstrap: str, sentry: str, slack: str, **more: str) -> dict[str, str]:
    return {
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "SENTRY_AUTH_TOKEN": TOKEN,
        "SENTRY_ORGANIZATION": ORG,
        "ALERTORCH_SENTRY__BASE_URL": sentry,
        "SLACK_BOT_TOKEN": "xoxb-test-token",
        "ALERTORCH_SLACK__API_URL": f"{slack}/api/",
        **more,
    }


async def test_health_reports_each_check_and_fails_on_any_problem(
    own_broker: str, sentry_url: str, slack_url: str, others: dict[str, str]
) -> None:
    env = _env(own_broker, sentry_url, slack_url, **others)
    with running_service("ingest", bootstrap=own_broker, env=env) as ingest:
        base = ["health", "--services", "ingest", "--base-port", str(ingest.port)]
        healthy = cli(*base, env=env)
        assert healthy.returncode == 0, healthy.stdout + healthy.stderr
        lines = healthy.stdout.splitlines()
        assert lines[-1] == "all healthy"
        assert any(line.startswith("ok    broker") for line in lines)
        assert any(line.startswith("ok    ingest") and "ready at" in line for line in lines)
        assert any("sentry" in line and "2 project(s) in acme" in line for line in lines)
        assert any("slack" in line and "auth.test: alertorch in Example" in line for line in lines)
        assert any("errors.raw.dlq" in line and "empty" in line for line in lines)
        assert any("github" in line and "acme/web visible (push: True)" in line for line in lines)
        assert any(line.startswith("ok    pagerduty") for line in lines)
        assert any(line.startswith("ok    email") and "answers 250" in line for line in lines)

        # A dead letter, a group 3 messages behind, and two refused tokens.
        await produce_keyed(own_broker, "errors.raw.dlq", [(b"k", b"poison")])
        group = f"{os.environ['ALERTORCH_KAFKA__GROUP_PREFIX']}-resolver"
        await _commit_at_end(own_broker, group, "errors.classified")
        await produce_keyed(own_broker, "errors.classified", [(b"a", b"1")] * 3)
        wrong = {
            **env,
            "SENTRY_AUTH_TOKEN": "wrong",
            "SLACK_BOT_TOKEN": "xoxb-wrong",
            "GITHUB_TOKEN": "ghp_wrong",
            "PAGERDUTY_API_KEY": "short",
            "ALERTORCH_INTEGRATIONS__EMAIL__SMTP_PORT": "1",
        }
        sick = cli(*base, "--max-lag", "1", "--json", env=wrong)
    assert sick.returncode == 1, sick.stderr
    document = json.loads(sick.stdout)
    assert document["ok"] is False
    failed = {check["name"]: check["detail"] for check in document["checks"] if not check["ok"]}
    assert "1 dead letter(s): alertorch dlq list errors.raw" in failed["errors.raw.dlq"]
    assert "lag 3" in failed[f"group {group}"]
    assert "401" in failed["sentry"]
    assert failed["slack"] == "auth.test: invalid_auth"
    assert failed["github"] == "acme/web: 401 Bad credentials"
    assert failed["pagerduty"].startswith("400")
    assert "127.0.0.1:1" in failed["email"]
    assert "Traceback" not in sick.stderr


def test_an_unreachable_broker_is_one_clear_line() -> None:
    result = cli(
        "health",
        "--services",
        "ingest",
        "--base-port",
        "1",
        env={"KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1"},
    )
    assert result.returncode == 1
    assert "FAIL  broker" in result.stdout
    assert "no Kafka broker answers at 127.0.0.1:1" in result.stdout
    assert "FAIL  ingest" in result.stdout
    assert "Traceback" not in result.stderr
    assert "Unable connect" not in result.stderr


async def _commit_at_end(bootstrap: str, group: str, topic: str) -> None:
    reader = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    await reader.start()
    try:
        partitions = [TopicPartition(topic, p) for p in reader.partitions_for_topic(topic) or ()]
        reader.assign(partitions)
        ends = await reader.end_offsets(partitions)
        await reader.commit({tp: int(offset) for tp, offset in ends.items()})
    finally:
        await reader.stop()
