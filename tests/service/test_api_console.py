"""The console as a process on the real broker: events published to the topics appear as alerts
and timelines over HTTP; an action puts a command with the token's actor on ``commands``;
tokens and roles guard every endpoint; pages follow cursors; analytics of a known set.

One console process serves the module, started with ``alertorch api`` as a user starts it. The
broker is shared: the console also reads what other tests left on the topics, so every check
looks only at this module's own fingerprints, and the analytics at a time window no other
test's events fall in.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from services.api import tokens
from services.api.tables import SCHEMA
from shared.events import Envelope
from shared.storage import Database
from shared.topics import (
    AUDIT,
    COMMANDS,
    ERRORS_CLASSIFIED,
    NOTIFICATIONS,
    RESOLUTIONS,
    SILENCES,
)
from tests.fakes.server import serving
from tests.fakes.slack import FakeSlack
from tests.kafka_helpers import Record, produce_keyed, read_until
from tests.procs import ServiceProcess, free_port_block, wait_http
from tests.unit.test_api_analytics import assert_known_set_times
from tests.unit.test_api_projection import (
    T0,
    audit,
    classified,
    command,
    notification,
    resolution,
)

pytestmark = pytest.mark.broker
REPO = Path(__file__).resolve().parents[2]
RUN = os.urandom(4).hex()


@dataclass
class Console:
    process: ServiceProcess
    database: Database
    tokens: dict[str, str]

    @property
    def url(self) -> str:
        return self.process.url

    def auth(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}


@pytest.fixture(scope="module")
def slack_url() -> Iterator[str]:
    """A fake Slack whose user group S0OPS has U0BOB: the console reads it for Slack's rights."""
    fake = FakeSlack()
    fake.usergroups["S0OPS"] = ["U0BOB"]
    with serving(fake.app()) as url:
        yield url


#: A rotation with an override for checkout-api, and a default schedule whose calendar host
#: refuses connections (nothing listens on port 1).
ONCALL_SCHEDULES: list[dict[str, Any]] = [
    {
        "name": "platform",
        "services": ["checkout-api"],
        "time_zone": "Europe/Berlin",
        "layers": [
            {
                "name": "primary",
                "start": "2025-03-03",
                "participants": [{"slack_user": "U0ALICE", "name": "Alice"}, "U0BOB"],
            }
        ],
        "overrides": [
            {
                "slack_user": "U0ERIN1",
                "name": "Erin",
                "start": "2025-03-29T18:00:00+01:00",
                "end": "2025-03-30T12:00:00+02:00",
            }
        ],
    },
    {"name": "data", "ical_url": "http://127.0.0.1:1/calendar/basic.ics"},
]


def _env(bootstrap: str, data: Path, slack_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALERTORCH_")}
    env.update(
        # Slack's rights apply to tokens naming a Slack user: U0042 (the tokens below) may do
        # everything; U0BOB only what anyone may, and roll back as a member of S0OPS.
        **FakeSlack().env(slack_url),
        ALERTORCH_SLACK__AUTHORIZED_USERS='["U0042"]',
        ALERTORCH_SLACK__ACTION_PERMISSIONS='{"rollback": ["S0OPS"]}',
        KAFKA_BOOTSTRAP_SERVERS=bootstrap,
        ALERTORCH_CONFIG_DIR=str(REPO / "config"),
        ALERTORCH_KAFKA__GROUP_PREFIX=f"test-api-{RUN}",
        ALERTORCH_STORAGE__DATA_DIRECTORY=str(data),
        ALERTORCH_KAFKA__SESSION_TIMEOUT_MS="1500",
        ALERTORCH_KAFKA__HEARTBEAT_INTERVAL_MS="300",
        ALERTORCH_KAFKA__REBALANCE_TIMEOUT_MS="1000",
        ALERTORCH_ONCALL__SCHEDULES=json.dumps(ONCALL_SCHEDULES),
    )
    return env


@pytest.fixture(scope="module")
def console_process(
    kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory, slack_url: str
) -> Iterator[tuple[ServiceProcess, dict[str, str], Path]]:
    data = tmp_path_factory.mktemp("console")
    env = _env(kafka_bootstrap, data, slack_url)
    port = free_port_block(1)
    argv = [sys.executable, "-m", "services.cli", "api", "--host", "127.0.0.1"]
    process = subprocess.Popen(
        [*argv, "--port", str(port)],
        env=env,
        cwd=data,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=None,
        text=True,
    )
    service = ServiceProcess(process, port)
    try:
        wait_http(f"{service.url}/readyz", timeout=60)
        yield service, env, data
    finally:
        assert service.stop() == 0  # SIGTERM: a clean stop


@pytest.fixture(scope="module")
async def console(
    console_process: tuple[ServiceProcess, dict[str, str], Path],
) -> AsyncIterator[Console]:
    process, env, data = console_process
    # The first admin token comes from the command line, as an operator would make it.
    made = await asyncio.create_subprocess_exec(
        *[sys.executable, "-m", "services.cli", "tokens", "create", "--role", "admin"],
        *["--name", "root", "--json"],
        env=env,
        cwd=data,
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await asyncio.wait_for(made.communicate(), 60)
    assert made.returncode == 0
    admin = json.loads(out)
    assert admin["role"] == "admin"
    assert admin["token"].startswith("ao_")
    database = Database(f"sqlite:///{data / 'api.db'}", schemas=[SCHEMA])
    found = {"admin": admin["token"]}
    for role in ("viewer", "operator"):
        new = await tokens.create_token(database, role=role, name=role, slack_user="U0042")
        found[role] = new.token
    try:
        yield Console(process, database, found)
    finally:
        await database.close()


async def publish(bootstrap: str, topic: str, events: Sequence[Envelope]) -> None:
    await produce_keyed(bootstrap, topic, [(e.subject.encode(), e.to_json_bytes()) for e in events])


async def eventually(
    probe: Callable[[], Awaitable[Any]], done: Callable[[Any], bool], *, timeout: float = 20.0
) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = await probe()
        if done(found):
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached in {timeout}s; last: {found}")
        await asyncio.sleep(0.2)


def _data(record: Record) -> dict[str, Any]:
    """The payload of an event on a topic; {} for anything else other tests left there."""
    try:
        value = json.loads(record.value)
    except (TypeError, ValueError):
        return {}
    data = value.get("data") if isinstance(value, dict) else None
    return data if isinstance(data, dict) else {}


def _id(record: Record) -> str | None:
    try:
        value = json.loads(record.value)
    except (TypeError, ValueError):
        return None
    return value.get("id") if isinstance(value, dict) else None


def fp(name: str) -> str:
    return f"api-{RUN}-{name}"


async def _alert(client: httpx.AsyncClient, console: Console, name: str) -> Any:
    answer = await client.get(f"/api/v1/alerts/{fp(name)}", headers=console.auth("viewer"))
    return answer.json() if answer.status_code == 200 else None


async def test_events_become_an_alert_with_its_timeline(
    console: Console, kafka_bootstrap: str
) -> None:
    key = fp("story")
    first = classified(key, at=T0 + 10, count=3, title=f"Payment 502 {RUN}")
    await publish(kafka_bootstrap, ERRORS_CLASSIFIED, [first])
    await publish(
        kafka_bootstrap,
        RESOLUTIONS,
        [resolution(key, at=T0 + 20, status="awaiting_approval", attempt_id="a1", strategy="rs")],
    )
    await publish(kafka_bootstrap, NOTIFICATIONS, [notification(key, at=T0 + 30)])
    await publish(kafka_bootstrap, COMMANDS, [command(key, at=T0 + 40, action="ack")])
    await publish(kafka_bootstrap, AUDIT, [audit(key, at=T0 + 50, action="notify")])
    # A redelivery of the first occurrence, then a new one after it on the same partition.
    await publish(kafka_bootstrap, ERRORS_CLASSIFIED, [first, classified(key, at=T0 + 60)])

    async with httpx.AsyncClient(base_url=console.url) as client:
        found = await eventually(
            lambda: _alert(client, console, "story"),
            lambda body: body is not None and len(body["timeline"]) == 6,
        )
        alert = found["alert"]
        assert alert["title"] == "Database connection refused"  # the newest occurrence's
        assert (alert["occurrences"], alert["events"]) == (4, 2)  # the redelivery counted once
        assert alert["status"] == "acknowledged"
        assert alert["acknowledged_by"] == "ada"
        assert alert["resolution"] == {
            "status": "awaiting_approval",
            "strategy": "rs",
            "attempt_id": "a1",
            "at": "2001-09-09T01:47:00+00:00",
        }
        kinds = [entry["kind"] for entry in found["timeline"]]
        assert kinds == ["occurrence", "decision", "notification", "command", "audit", "occurrence"]
        assert found["timeline"][3]["actor"] == "ada (slack)"

        inbox = await client.get("/api/v1/inbox?limit=200", headers=console.auth("viewer"))
        assert key in {item["fingerprint"] for item in inbox.json()["items"]}
        listed = await client.get(
            "/api/v1/resolutions", params={"fingerprint": key}, headers=console.auth("viewer")
        )
        assert [r["status"] for r in listed.json()["items"]] == ["awaiting_approval"]
        status = (await client.get("/api/v1/status", headers=console.auth("viewer"))).json()
        assert status["ready"] is True
        assert status["alerts"]["acknowledged"] >= 1
        assert "commands.dlq" in status["consumed_topics"]


async def test_a_traceback_title_is_listed_by_its_error_and_shown_whole_on_its_page(
    console: Console, kafka_bootstrap: str
) -> None:
    key = fp("trace")
    title = (
        "Traceback (most recent call last):\n"
        '  File "/app/jobs.py", line 10, in settle\n'
        '    raise ValueError("bad payload")\n'
        f"ValueError: bad payload {RUN}"
    )
    # Seen now: the newest open problem, so the inbox lists it whatever else the console read.
    now = classified(key, at=time.time(), title=title)
    await publish(kafka_bootstrap, ERRORS_CLASSIFIED, [now])
    async with httpx.AsyncClient(base_url=console.url) as client:
        await eventually(lambda: _alert(client, console, "trace"), lambda body: body is not None)
        await client.post("/ui/login", data={"token": console.tokens["viewer"]})
        inbox = (await client.get("/ui")).text
        assert f'">ValueError: bad payload {RUN}</a>' in inbox
        page = (await client.get(f"/ui/alerts/{key}")).text
        assert f"<title>ValueError: bad payload {RUN} · alertorch console</title>" in page
        assert f"</span> ValueError: bad payload {RUN}</h1>" in page
        assert '<pre class="trace">Traceback (most recent call last):\n  File &#34;' in page


async def _decided_alert(
    client: httpx.AsyncClient,
    console: Console,
    bootstrap: str,
    name: str,
    *,
    status: str,
    attempt_id: str,
) -> str:
    """Problem ``fp(name)`` classified, then decided (``status``, attempt ``attempt_id`` of
    strategy ``rs``); its fingerprint, once the console shows the attempt."""
    key = fp(name)
    await publish(bootstrap, ERRORS_CLASSIFIED, [classified(key, at=T0 + 10)])
    await publish(
        bootstrap,
        RESOLUTIONS,
        [resolution(key, at=T0 + 20, status=status, attempt_id=attempt_id, strategy="rs")],
    )
    await eventually(
        lambda: _alert(client, console, name),
        lambda body: body is not None and body["alert"]["resolution"]["attempt_id"] == attempt_id,
    )
    return key


async def test_actions_publish_commands_with_the_token_s_actor(
    console: Console, kafka_bootstrap: str
) -> None:
    operator = console.auth("operator")
    async with httpx.AsyncClient(base_url=console.url) as client:
        key = await _decided_alert(
            client, console, kafka_bootstrap, "act", status="awaiting_approval", attempt_id="a7"
        )
        acked = await client.post(f"/api/v1/alerts/{key}/actions/ack", headers=operator)
        assert acked.status_code == 202, acked.text
        approve = await client.post(
            f"/api/v1/alerts/{key}/actions/approve", headers=operator, json={"reason": "go"}
        )
        resolved = await client.post(
            "/api/v1/resolve", headers=operator, json={"error_id": key, "strategy": "rs"}
        )
        wrong = await client.post(
            "/api/v1/resolve", headers=operator, json={"error_id": key, "strategy": "other"}
        )
        assert wrong.status_code == 409
        assert wrong.json()["error"]["code"] == "conflict"
        ids = {r.json()["command"]["id"]: r.json()["command"] for r in (acked, approve, resolved)}
        assert [c["action"] for c in ids.values()] == ["ack", "approve", "approve"]
        assert all(c["attempt_id"] in (None, "a7") for c in ids.values())

        on_topic = await read_until(
            kafka_bootstrap,
            COMMANDS,
            lambda found: len(found) == 3,
            match=lambda record: _id(record) in ids,
        )
        for record in on_topic:
            assert record.key == key.encode()
            actor = _data(record)["actor"]
            assert actor == {"kind": "user", "id": "U0042", "name": "operator", "via": "api"}
        audited = await read_until(
            kafka_bootstrap,
            AUDIT,
            lambda found: len(found) == 3,
            match=lambda r: _data(r).get("details", {}).get("command_id") in ids,
        )
        assert {_data(r)["action"] for r in audited} == {
            "request:ack",
            "request:approve",
        }
        # The console reads its own commands back: the alert is acknowledged by the token's name.
        found = await eventually(
            lambda: _alert(client, console, "act"),
            lambda body: body["alert"]["status"] == "acknowledged",
        )
        assert found["alert"]["acknowledged_by"] == "operator"


async def test_a_token_naming_a_slack_user_has_that_users_slack_rights(
    console: Console, kafka_bootstrap: str
) -> None:
    bob = await tokens.create_token(
        console.database, role="operator", name="bob", slack_user="U0BOB"
    )
    as_bob = {"Authorization": f"Bearer {bob.token}"}
    async with httpx.AsyncClient(base_url=console.url) as client:
        key = await _decided_alert(
            client, console, kafka_bootstrap, "rights", status="succeeded", attempt_id="a9"
        )
        # anyone may acknowledge in Slack, so Bob may here
        acked = await client.post(f"/api/v1/alerts/{key}/actions/ack", headers=as_bob)
        assert acked.status_code == 202, acked.text
        # resolving is for slack.authorized_users: Bob may not, here as in Slack
        refused = await client.post(f"/api/v1/alerts/{key}/actions/resolve", headers=as_bob)
        assert refused.status_code == 403
        assert "Slack user U0BOB may not resolve" in refused.json()["error"]["message"]
        silence = await client.post(
            "/api/v1/silences",
            headers=as_bob,
            json={"matchers": {"fingerprint": key}, "reason": "x", "duration_seconds": 60},
        )
        assert silence.status_code == 202  # anyone may silence in Slack
        # rolling back is for members of S0OPS, read from Slack: Bob is one
        rolled = await client.post(f"/api/v1/alerts/{key}/actions/rollback", headers=as_bob)
        assert rolled.status_code == 202, rolled.text
        # an operator token naming no Slack user: the role alone decides
        carol = await tokens.create_token(console.database, role="operator", name="carol")
        resolved = await client.post(
            f"/api/v1/alerts/{key}/actions/resolve",
            headers={"Authorization": f"Bearer {carol.token}"},
        )
        assert resolved.status_code == 202


async def test_tokens_and_roles_guard_every_endpoint(console: Console) -> None:
    async with httpx.AsyncClient(base_url=console.url) as client:
        for public in ("/healthz", "/readyz", "/metrics", "/openapi.json", "/docs"):
            assert (await client.get(public)).status_code == 200, public
        docs = (await client.get("/docs")).text
        assert "/docs-assets/swagger-ui-bundle.js" in docs
        assert "cdn" not in docs.lower()
        assert (await client.get("/docs-assets/swagger-ui-bundle.js")).status_code == 200

        missing = await client.get("/api/v1/alerts")
        assert missing.status_code == 401
        assert missing.json()["error"]["code"] == "unauthorized"
        assert missing.headers["www-authenticate"] == "Bearer"
        bogus = await client.get("/api/v1/alerts", headers={"Authorization": "Bearer ao_nope"})
        assert bogus.status_code == 401

        viewer, operator, admin = (console.auth(r) for r in ("viewer", "operator", "admin"))
        assert (await client.get("/api/v1/alerts", headers=viewer)).status_code == 200
        act = await client.post(f"/api/v1/alerts/{fp('none')}/actions/ack", headers=viewer)
        assert act.status_code == 403
        assert act.json()["error"]["code"] == "forbidden"
        resolve = await client.post("/api/v1/resolve", headers=viewer, json={"error_id": "x"})
        assert resolve.status_code == 403
        assert (await client.get("/api/v1/tokens", headers=operator)).status_code == 403
        unknown = await client.post(f"/api/v1/alerts/{fp('none')}/actions/ack", headers=operator)
        assert unknown.status_code == 404
        assert unknown.json()["error"]["code"] == "not_found"
        huge = await client.post(
            "/api/v1/resolve", headers=operator, content=b"{" + b" " * 70_000 + b"}"
        )
        assert huge.status_code == 413
        assert huge.json()["error"]["code"] == "payload_too_large"

        made = await client.post(
            "/api/v1/tokens", headers=admin, json={"role": "viewer", "name": "temp"}
        )
        assert made.status_code == 201
        temp = {"Authorization": f"Bearer {made.json()['token']}"}
        assert (await client.get("/api/v1/status", headers=temp)).status_code == 200
        listed = (await client.get("/api/v1/tokens", headers=admin)).json()["items"]
        assert "temp" in {t["name"] for t in listed}
        assert all("token" not in t for t in listed)
        gone = await client.delete(f"/api/v1/tokens/{made.json()['token_id']}", headers=admin)
        assert gone.status_code == 200
        assert (await client.get("/api/v1/status", headers=temp)).status_code == 401


async def test_who_is_on_call_per_schedule_at_a_time_and_on_the_page(console: Console) -> None:
    async with httpx.AsyncClient(base_url=console.url) as client:
        assert (await client.get("/api/v1/oncall")).status_code == 401
        viewer = console.auth("viewer")

        async def oncall(**params: str) -> dict[str, Any]:
            answer = await client.get("/api/v1/oncall", params=params, headers=viewer)
            assert answer.status_code == 200, answer.text
            return answer.json()  # type: ignore[no-any-return]

        found = await oncall(at="2025-03-29T20:00:00+01:00")
        assert found["at"] == "2025-03-29T19:00:00+00:00"
        platform, data = found["items"]
        assert (platform["schedule"], platform["source"]) == ("platform", "override")
        assert platform["people"] == [{"slack_user": "U0ERIN1", "name": "Erin"}]
        assert platform["until_local"] == "2025-03-30T12:00:00+02:00"
        assert (data["schedule"], data["default"], data["people"]) == ("data", True, [])
        assert data["calendar"] == {"fetched_at": None, "error": "127.0.0.1: ConnectError"}
        assert "ical_url" not in data
        assert "127.0.0.1:1" not in json.dumps(found)

        [after] = (await oncall(at="2025-03-30T12:00:00+02:00", service="checkout-api"))["items"]
        assert (after["people"], after["source"]) == (
            [{"slack_user": "U0BOB", "name": None}],
            "layer primary",
        )
        assert after["until"] == "2025-03-31T07:00:00+00:00"  # Monday 09:00 CEST
        [default] = (await oncall(service="billing-worker"))["items"]
        assert default["schedule"] == "data"

        for bad in ("2025-03-29T20:00:00", "9999-01-01T00:00:00Z", "tomorrow"):
            refused = await client.get("/api/v1/oncall", params={"at": bad}, headers=viewer)
            assert refused.status_code == 422, bad
            assert refused.json()["error"]["code"] == "invalid_request"

        await client.post("/ui/login", data={"token": console.tokens["viewer"]})
        page = (await client.get("/ui")).text
        assert 'id="oncall"' in page
        assert "platform (@oncall)" in page
        assert "calendar: 127.0.0.1: ConnectError" in page


async def test_alerts_page_by_cursor(console: Console, kafka_bootstrap: str) -> None:
    service = f"paged-{RUN}"
    events = [
        classified(fp(f"page{i}"), at=T0 + 100 + i, service=service, severity=sev)
        for i, sev in enumerate(["low", "high", "critical", "medium", "info", "high", "low"])
    ]
    await publish(kafka_bootstrap, ERRORS_CLASSIFIED, events)
    viewer = console.auth("viewer")

    async def pages(sort: str) -> list[list[dict[str, Any]]]:
        out: list[list[dict[str, Any]]] = []
        after: str | None = None
        async with httpx.AsyncClient(base_url=console.url) as client:
            while True:
                params = {"service": service, "limit": "3", "sort": sort}
                if after:
                    params["cursor"] = after
                body = (await client.get("/api/v1/alerts", params=params, headers=viewer)).json()
                out.append(body["items"])
                after = body["next_cursor"]
                if after is None:
                    return out

    async def count() -> int:
        return sum(len(page) for page in await pages("-last_seen"))

    await eventually(count, lambda n: n == 7)
    newest_first = await pages("-last_seen")
    assert [len(page) for page in newest_first] == [3, 3, 1]
    order = [item["fingerprint"] for page in newest_first for item in page]
    assert order == [fp(f"page{i}") for i in reversed(range(7))]
    by_severity = [item["severity"] for page in await pages("-severity") for item in page]
    assert by_severity == ["critical", "high", "high", "medium", "low", "low", "info"]

    async with httpx.AsyncClient(base_url=console.url) as client:
        params = {"service": service, "limit": "3"}
        first = (await client.get("/api/v1/alerts", params=params, headers=viewer)).json()
        crossed = await client.get(
            "/api/v1/alerts",
            params={**params, "sort": "severity", "cursor": first["next_cursor"]},
            headers=viewer,
        )
        assert crossed.status_code == 400
        assert crossed.json()["error"]["code"] == "invalid_request"
        filtered = await client.get(
            "/api/v1/alerts",
            params={"service": service, "severity": "high,critical"},
            headers=viewer,
        )
        assert len(filtered.json()["items"]) == 3


async def test_analytics_of_a_known_set(console: Console, kafka_bootstrap: str) -> None:
    start = T0 + 7 * 86400  # a window of this test's own
    a, b, c = fp("an-a"), fp("an-b"), fp("an-c")
    await publish(
        kafka_bootstrap,
        ERRORS_CLASSIFIED,
        [
            classified(a, at=start, category=f"db-{RUN}", pattern_id=f"p-{RUN}"),
            classified(a, at=start + 60, category=f"db-{RUN}", pattern_id=f"p-{RUN}"),
            classified(b, at=start + 100, category=f"db-{RUN}", pattern_id=f"p-{RUN}"),
            classified(c, at=start + 200, category=f"net-{RUN}", pattern_id=None),
        ],
    )
    await publish(
        kafka_bootstrap,
        RESOLUTIONS,
        [
            resolution(a, at=start + 10, status="auto_resolving", attempt_id="x1", strategy="rs"),
            resolution(a, at=start + 300, status="succeeded", attempt_id="x1", strategy="rs"),
            resolution(b, at=start + 150, status="auto_resolving", attempt_id="x2", strategy="rs"),
            resolution(b, at=start + 200, status="failed", attempt_id="x2", strategy="rs"),
        ],
    )
    await publish(
        kafka_bootstrap,
        NOTIFICATIONS,
        [
            notification(a, at=start + 30),
            notification(a, at=start + 600, kind="resolved"),
            notification(b, at=start + 160),
            notification(b, at=start + 400, kind="escalation", level=1),
        ],
    )
    await publish(kafka_bootstrap, COMMANDS, [command(a, at=start + 120, action="ack")])

    params = {"end": str(start + 3600), "window": "3600", "bucket": "600"}
    async with httpx.AsyncClient(base_url=console.url) as client:

        async def report() -> Any:
            answer = await client.get(
                "/api/v1/analytics", params=params, headers=console.auth("viewer")
            )
            return answer.json()

        found = await eventually(
            report,
            lambda r: (
                r["mttr_seconds"]["count"] == 1
                and r["escalation"]["escalations"] == 1
                and r["mtta_seconds"]["count"] == 1
                and r["resolutions"]["by_strategy"].get("rs", {}).get("attempts") == 2
                and r["processing"]["events"] == 4
            ),
        )
    assert_known_set_times(found)
    assert [bucket["count"] for bucket in found["processing"]["buckets"]] == [4, 0, 0, 0, 0, 0]
    assert found["escalation"] == {
        "alerts": 3,
        "escalated_alerts": 1,
        "escalations": 1,
        "rate": pytest.approx(1 / 3),
    }
    assert found["resolutions"]["by_strategy"]["rs"]["success_rate"] == 0.5
    assert found["top_categories"] == [
        {"category": f"db-{RUN}", "occurrences": 3, "alerts": 2},
        {"category": f"net-{RUN}", "occurrences": 1, "alerts": 1},
    ]
    assert found["top_patterns"][0]["pattern_id"] == f"p-{RUN}"


async def test_status_shows_every_consumer_group_with_its_members_and_lag(
    console: Console, kafka_bootstrap: str
) -> None:
    """A notifier's commands group that committed up to the end, then 3 commands it has not
    read: the status shows its lag on ``commands``, read from the broker; the console's own
    groups are there with their members."""
    group = f"test-api-{RUN}-notifier-commands"
    reader = AIOKafkaConsumer(
        bootstrap_servers=kafka_bootstrap, group_id=group, enable_auto_commit=False
    )
    await reader.start()
    try:
        partitions = [TopicPartition(COMMANDS, p) for p in reader.partitions_for_topic(COMMANDS)]
        reader.assign(partitions)
        ends = await reader.end_offsets(partitions)
        await reader.commit({tp: int(offset) for tp, offset in ends.items()})
    finally:
        await reader.stop()
    key = fp("lag")
    acks = [command(key, at=T0 + i, action="ack") for i in range(3)]
    await publish(kafka_bootstrap, COMMANDS, acks)

    def groups(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
        return {g["group"]: g for g in body["consumers"]}

    events_group = f"test-api-{RUN}-api-events"
    async with httpx.AsyncClient(base_url=console.url) as client:
        # The console's own group may show a moment after the notifier's lag does (running this
        # test alone, the broker listed it only on a later read of the status).
        body = await eventually(
            lambda: _json(client.get("/api/v1/status", headers=console.auth("viewer"))),
            lambda body: (
                groups(body).get(group, {}).get("lag") == {"commands": 3}
                and events_group in groups(body)
            ),
        )
    assert body["consumers_error"] is None
    notifier = groups(body)[group]
    assert (notifier["service"], notifier["total_lag"], notifier["members"]) == ("notifier", 3, 0)
    events = groups(body)[events_group]
    assert events["service"] == "api"
    assert events["members"] >= 1
    assert set(events["lag"]) <= {
        ERRORS_CLASSIFIED,
        RESOLUTIONS,
        NOTIFICATIONS,
        COMMANDS,
        AUDIT,
        SILENCES,
    }


async def _json(request: Awaitable[httpx.Response]) -> Any:
    return (await request).json()
