"""POST /slack/events served for real over HTTP, with requests signed exactly as Slack signs
them: verified presses become commands (published through the callback), unsigned, badly
signed or stale requests are refused, and approve/roll back need an authorized user."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
import pytest
from starlette.applications import Starlette

from services.notifier.slack import (
    SLACK_SCHEMA,
    HttpSlackApi,
    SlackBotIntegration,
    SlackIntegration,
    SlackInteractions,
    SlackSetup,
    slack_routes,
)
from shared.config.slack import SlackSection
from shared.events import (
    Command,
    ErrorSummary,
    IncidentRef,
    NotificationData,
    Severity,
    Silence,
    Target,
)
from shared.storage import open_database
from tests.fakes.server import serving
from tests.fakes.slack import FakeSlack, Message, sign

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "slack"
SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
ALERTS = Target(type="slack", channel="#alerts")
OPERATOR = "U0OPERATOR"


def fixture(name: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return body


def note(kind: str = "new_alert", **more: Any) -> NotificationData:
    return NotificationData(
        fingerprint=more.pop("fingerprint", "fp-db"),
        kind=kind,
        targets=[ALERTS],
        summary=more.pop(
            "summary", ErrorSummary(title="Database down", severity=Severity.CRITICAL)
        ),
        actions=more.pop("actions", ["ack", "snooze", "escalate", "resolve"]),
        attempt_id=more.pop("attempt_id", "att-1"),
        **more,
    )


def press_payload(
    message: Message, action_id: str, user: str = "U111", **action: Any
) -> dict[str, Any]:
    """A block_actions payload as Slack sends it for a press on one of our messages."""
    payload = pressed_on(message, user)
    [actions] = [b for b in message.blocks if b["type"] == "actions"]
    [element] = [e for e in actions["elements"] if e["action_id"] == action_id]
    pressed: dict[str, Any] = {
        "action_id": action_id,
        "block_id": actions["block_id"],
        "type": element["type"],
        "action_ts": f"{time.time():.6f}",
    }
    if element["type"] == "button":  # a link button carries its url, not a value
        pressed.update({"text": element["text"]})
        pressed.update({key: element[key] for key in ("value", "url") if key in element})
    pressed.update(action)
    payload["actions"] = [pressed]
    return payload


def pressed_on(message: Message, user: str = "U111") -> dict[str, Any]:
    """A block_actions payload for a press on ``message``, without its action yet."""
    payload = fixture("slack_block_actions_button_with_message.bolt-python.json")
    payload["user"] = {"id": user, "username": "alice", "name": "alice", "team_id": "T0G9PQBBK"}
    payload["container"].update({"message_ts": message.ts, "channel_id": message.channel})
    payload["channel"] = {"id": message.channel, "name": "alerts"}
    payload["trigger_id"] = f"{time.time_ns()}.1.abc"
    payload["message"].update({"ts": message.ts, "blocks": message.blocks, "text": message.text})
    return payload


def signed(payload: dict[str, Any], *, age: int = 0, secret: str = SECRET) -> dict[str, Any]:
    """The form body and headers of an interactive request signed as Slack signs it."""
    body = urlencode({"payload": json.dumps(payload)})
    timestamp = str(int(time.time()) - age)
    return {
        "content": body,
        "headers": {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": sign(secret, timestamp, body),
        },
    }


class Notifier:
    """The Slack half of a notifier: delivery plus the served interactivity endpoint."""

    def __init__(self, slack_url: str, events_url: str, slack: SlackIntegration) -> None:
        self.slack_url = slack_url
        self.events_url = events_url
        self.slack = slack
        self.published: list[Command] = []
        self.silences: list[Silence] = []
        self.broker_down = False

    async def post(self, **request: Any) -> httpx.Response:
        async with httpx.AsyncClient(timeout=10) as http:
            return await http.post(self.events_url, **request)

    async def press(self, message: Message, action_id: str, user: str = "U111") -> httpx.Response:
        """``user``'s press on ``message``'s button ``action_id``, signed as Slack signs it."""
        return await self.post(**signed(press_payload(message, action_id, user)))


def blocks_of(fake_slack: FakeSlack, channel: str, ts: str) -> str:
    """A posted message's blocks as JSON text, to look for a phrase in."""
    return json.dumps(fake_slack.message(channel, ts).blocks)


async def eventually(check: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


def no_keepalive(slack_url: str, token: str) -> HttpSlackApi:
    """A client for the server thread's event loop that keeps no connection open between calls
    (so closing it from the test's loop touches no socket of the other loop)."""
    transport = httpx.AsyncHTTPTransport(limits=httpx.Limits(max_keepalive_connections=0))
    return HttpSlackApi(token=token, base_url=f"{slack_url}/api/", transport=transport)


@pytest.fixture
def secret() -> str | None:
    return SECRET


@pytest.fixture
def permissions() -> dict[str, list[str]]:
    """``slack.action_permissions`` of the notifier under test (defaults unless a test says)."""
    return {}


@pytest.fixture
async def notifier(
    tmp_path: Path,
    slack_url: str,
    fake_slack: FakeSlack,
    secret: str | None,
    permissions: dict[str, list[str]],
) -> AsyncIterator[Notifier]:
    url = f"sqlite:///{tmp_path / 'notifier-slack.db'}"
    delivery_database = await open_database(url, schemas=[SLACK_SCHEMA])
    # The routes run on the server thread's event loop: a database of their own.
    routes_database = await open_database(url, schemas=[SLACK_SCHEMA])
    api = HttpSlackApi(token=fake_slack.token, base_url=f"{slack_url}/api/")
    routes_api = no_keepalive(slack_url, fake_slack.token)
    seconds = itertools.count(1_000_000, 2)  # every send two seconds after the last
    setup = SlackSetup(
        database=delivery_database, settings=SlackSection(), clock=lambda: next(seconds)
    )
    slack = SlackBotIntegration(setup, api=api)
    holder: list[Notifier] = []

    async def publish(command: Command) -> None:
        if holder[0].broker_down:
            raise RuntimeError("broker down")
        holder[0].published.append(command)

    async def publish_silence(silence: Silence) -> None:
        holder[0].silences.append(silence)

    app = Starlette(
        routes=slack_routes(
            SlackInteractions(
                signing_secret=secret,
                publish_command=publish,
                publish_silence=publish_silence,
                authorized_users=[OPERATOR],
                client=routes_api,
                database=routes_database,
                settings=SlackSection.model_validate({"action_permissions": permissions}),
            )
        )
    )
    with serving(app) as base:
        holder.append(Notifier(slack_url, f"{base}/slack/events", slack))
        yield holder[0]
    await api.aclose()
    await routes_api.aclose()
    await delivery_database.close()
    await routes_database.close()


async def root_message(
    notifier: Notifier, fake_slack: FakeSlack, data: NotificationData | None = None
) -> Message:
    """The message Slack shows for ``data`` (by default :func:`note`) sent to ``#alerts``."""
    result = await notifier.slack.send_notification(data or note(), ALERTS)
    assert result.delivered
    return fake_slack.message("C0ALERTS", str(result.reference))


@pytest.fixture
async def root(notifier: Notifier, fake_slack: FakeSlack) -> Message:
    """The message Slack shows for :func:`note` sent to ``#alerts`` (:func:`root_message`)."""
    return await root_message(notifier, fake_slack)


def snooze_for_an_hour(root: Message) -> dict[str, Any]:
    """The payload of a press choosing "1 hour" in ``root``'s snooze menu."""
    option = {"text": {"type": "plain_text", "text": "1 hour"}, "value": "3600"}
    return press_payload(root, "snooze", selected_option=option)


def test_our_signing_reproduces_slacks_test_vector() -> None:
    vector = fixture("slack_request_signature_test_vector.python-slack-sdk.json")
    headers = vector["headers"]
    assert vector["basestring_format"] == "v0:{timestamp}:{body}"
    assert (
        sign(vector["signing_secret"], headers["X-Slack-Request-Timestamp"], vector["body"])
        == (headers["X-Slack-Signature"])
    )


async def test_a_signed_press_publishes_a_command_and_shows_who_acted(
    notifier: Notifier, fake_slack: FakeSlack, root: Message
) -> None:
    response = await notifier.press(root, "ack")
    assert response.status_code == 200
    [command] = notifier.published
    assert command.data.action == "ack"
    assert command.data.fingerprint == "fp-db"
    assert command.subject == "fp-db"
    assert command.data.attempt_id == "att-1"
    assert command.data.actor.id == "U111"
    assert command.data.actor.via == "slack"
    assert command.data.actor.name == "alice"
    assert command.data.actor.kind == "user"
    await eventually(
        lambda: "Acknowledged by <@U111>" in blocks_of(fake_slack, root.channel, root.ts)
    )


async def test_the_same_press_delivered_twice_has_one_command_id(
    notifier: Notifier, root: Message
) -> None:
    payload = press_payload(root, "escalate")
    for _ in range(2):
        assert (await notifier.post(**signed(payload))).status_code == 200
    first, second = notifier.published
    assert first.id == second.id
    assert first.data.action == "escalate"


async def test_snooze_choice_publishes_its_length(notifier: Notifier, root: Message) -> None:
    payload = snooze_for_an_hour(root)
    assert (await notifier.post(**signed(payload))).status_code == 200
    [command] = notifier.published
    assert command.data.action == "snooze"
    assert command.data.snooze_seconds == 3600
    assert command.data.fingerprint == "fp-db"


async def test_silence_1h_silences_the_problem_for_an_hour_or_until_it_resolves(
    notifier: Notifier, fake_slack: FakeSlack
) -> None:
    root = await root_message(notifier, fake_slack, note(actions=["ack", "snooze", "silence"]))
    [button] = [
        e
        for b in root.blocks
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == "silence"
    ]
    assert button["text"]["text"] == "Silence 1h"
    payload = press_payload(root, "silence")
    for _ in range(2):  # Slack delivering the press twice makes one silence
        assert (await notifier.post(**signed(payload))).status_code == 200
    first, second = notifier.silences
    assert (first.id, first.data.silence_id) == (second.id, second.data.silence_id)
    assert not notifier.published  # no command: a silence
    data = first.data
    assert data.matchers.model_dump(exclude_none=True) == {"fingerprint": "fp-db"}
    assert data.until_resolved
    assert (data.ends_at - data.starts_at).total_seconds() == 3600
    assert (data.created_by.id, data.created_by.via) == ("U111", "slack")
    await eventually(
        lambda: "Silenced for 1 h by <@U111>" in blocks_of(fake_slack, root.channel, root.ts)
    )


async def test_a_bad_signature_is_refused(notifier: Notifier, root: Message) -> None:
    request = signed(press_payload(root, "ack"), secret="not-the-secret")
    response = await notifier.post(**request)
    assert response.status_code == 401
    tampered = signed(press_payload(root, "ack"))
    tampered["content"] = tampered["content"].replace("U111", "U999")
    assert (await notifier.post(**tampered)).status_code == 401
    unsigned = {
        "content": tampered["content"],
        "headers": {"Content-Type": "application/x-www-form-urlencoded"},
    }
    assert (await notifier.post(**unsigned)).status_code == 401
    assert notifier.published == []


async def test_a_stale_timestamp_is_refused(notifier: Notifier, root: Message) -> None:
    assert (await notifier.post(**signed(press_payload(root, "ack"), age=330))).status_code == 401
    assert (await notifier.post(**signed(press_payload(root, "ack"), age=-330))).status_code == 401
    # Slack's own published request: correctly signed, but from 2018.
    vector = fixture("slack_request_signature_test_vector.python-slack-sdk.json")
    response = await notifier.post(content=vector["body"], headers=vector["headers"])
    assert response.status_code == 401
    assert notifier.published == []


async def _status_after_sending(url: str, head: str, body: bytes) -> bytes:
    """Send a request head and part of a body over a raw socket; the status line answered."""
    parts = urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    try:
        writer.write(head.format(path=parts.path, host=parts.netloc).encode() + body)
        await writer.drain()
        return await asyncio.wait_for(reader.readline(), timeout=10)
    finally:
        writer.close()


async def test_an_oversized_body_is_refused_before_it_is_read(notifier: Notifier) -> None:
    declared = (
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 52428800\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n\r\n"
    )
    status = await _status_after_sending(notifier.events_url, declared, b"payload=")
    assert status.startswith(b"HTTP/1.1 413")
    chunked = (
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nTransfer-Encoding: chunked\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n\r\n"
    )
    chunk = b"10000\r\n" + b"x" * 65536 + b"\r\n"
    status = await _status_after_sending(notifier.events_url, chunked, chunk * 20)
    assert status.startswith(b"HTTP/1.1 413")
    assert notifier.published == []


@pytest.mark.parametrize("secret", [None])
async def test_without_a_signing_secret_everything_is_refused(
    notifier: Notifier, root: Message
) -> None:
    response = await notifier.press(root, "ack")
    assert response.status_code == 401
    assert "SLACK_SIGNING_SECRET" in response.json()["error"]
    assert notifier.published == []


async def test_approve_needs_an_authorized_user(notifier: Notifier, fake_slack: FakeSlack) -> None:
    await root_message(notifier, fake_slack)
    request = await root_message(
        notifier,
        fake_slack,
        note("approval_request", actions=["approve", "reject", "rollback"], attempt_id="att-7"),
    )
    for action in ("approve", "rollback"):
        response = await notifier.press(request, action, user="U111")
        assert response.status_code == 200
    assert notifier.published == []
    await eventually(lambda: len(fake_slack.ephemerals) == 2)
    assert {e["user"] for e in fake_slack.ephemerals} == {"U111"}
    assert "not allowed" in fake_slack.ephemerals[0]["text"]
    assert [b["type"] for b in fake_slack.message("C0ALERTS", request.ts).blocks].count(
        "actions"
    ) == 1

    response = await notifier.press(request, "approve", user=OPERATOR)
    assert response.status_code == 200
    [command] = notifier.published
    assert command.data.action == "approve"
    assert command.data.attempt_id == "att-7"
    assert command.data.actor.id == OPERATOR
    await eventually(
        lambda: "Approved by <@U0OPERATOR>" in blocks_of(fake_slack, "C0ALERTS", request.ts)
    )
    updated = fake_slack.message("C0ALERTS", request.ts)
    assert not [b for b in updated.blocks if b["type"] == "actions"]  # buttons gone once used


async def test_url_verification_is_answered_when_signed(notifier: Notifier) -> None:
    body = json.dumps(
        {
            "type": "url_verification",
            "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
            "token": "x",
        }
    )
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": sign(SECRET, timestamp, body),
    }
    response = await notifier.post(content=body, headers=headers)
    assert response.status_code == 200
    assert response.json()["challenge"].startswith("3eZbrw1aBm")


async def test_a_press_on_an_unknown_message_publishes_nothing(
    notifier: Notifier, fake_slack: FakeSlack, root: Message
) -> None:
    payload = snooze_for_an_hour(root)
    payload["container"]["message_ts"] = payload["message"]["ts"] = "1.000001"
    assert (await notifier.post(**signed(payload))).status_code == 200
    assert notifier.published == []
    await eventually(lambda: len(fake_slack.ephemerals) == 1)


async def test_a_press_that_cannot_be_published_is_not_acknowledged(
    notifier: Notifier, fake_slack: FakeSlack, root: Message
) -> None:
    notifier.broker_down = True
    response = await notifier.press(root, "resolve", user=OPERATOR)
    assert response.status_code == 503
    assert notifier.published == []
    assert fake_slack.message(root.channel, root.ts).edits == 0  # nothing claims it was done


async def test_by_default_anyone_acks_but_only_authorized_users_resolve(
    notifier: Notifier, fake_slack: FakeSlack, root: Message
) -> None:
    refused = await notifier.press(root, "resolve", user="U111")
    assert refused.status_code == 200
    await eventually(lambda: bool(fake_slack.ephemerals))
    assert "slack.action_permissions.resolve" in fake_slack.ephemerals[-1]["text"]
    assert notifier.published == []
    assert fake_slack.message(root.channel, root.ts).edits == 0  # no "Resolved by" for a refusal
    await notifier.press(root, "ack", user="U111")
    await eventually(lambda: len(notifier.published) == 1)
    assert notifier.published[0].data.action == "ack"


@pytest.mark.parametrize(
    "permissions", [{"resolve": ["S0ONCALL"], "ack": ["U0BOSS"]}], indirect=False
)
async def test_configured_users_and_user_groups_may_act(
    notifier: Notifier, fake_slack: FakeSlack
) -> None:
    fake_slack.usergroups["S0ONCALL"] = ["U0ONCALL"]
    root = await root_message(notifier, fake_slack)
    await notifier.press(root, "resolve", user="U0ONCALL")
    await eventually(lambda: len(notifier.published) == 1)
    for user, action in (("U111", "resolve"), ("U111", "ack")):
        await notifier.press(root, action, user=user)
    await eventually(lambda: len(fake_slack.ephemerals) == 2)
    await notifier.press(root, "ack", user="U0BOSS")
    await eventually(lambda: len(notifier.published) == 2)
    assert [(c.data.action, c.data.actor.id) for c in notifier.published] == [
        ("resolve", "U0ONCALL"),
        ("ack", "U0BOSS"),
    ]
    assert fake_slack.calls["usergroups.users.list"] == 1  # members are kept for a while


def incident_note(n: int) -> NotificationData:
    """The first alert of problem ``n`` of one incident."""
    return note(
        fingerprint=f"fp-{n}",
        summary=ErrorSummary(
            title=f"Checkout step {n} failed",
            severity=Severity.HIGH,
            incident=IncidentRef(id="inc-1", problems=n),
        ),
    )


def accessory_press(message: Message, block: dict[str, Any]) -> dict[str, Any]:
    """A block_actions payload for a press on ``block``'s button (a section's accessory)."""
    payload = pressed_on(message)
    button = block["accessory"]
    payload["actions"] = [
        {
            "action_id": button["action_id"],
            "block_id": block.get("block_id", "b"),
            "type": "button",
            "text": button["text"],
            "value": button["value"],
            "action_ts": f"{time.time():.6f}",
        }
    ]
    return payload


async def test_an_incident_card_acknowledges_one_problem_or_all_of_them(
    notifier: Notifier, fake_slack: FakeSlack
) -> None:
    """Three problems of one incident share one card; its line's button acknowledges one
    problem, Acknowledge all every problem it shows (a command each), and the card says who."""
    results = [await notifier.slack.send_notification(incident_note(n), ALERTS) for n in (1, 2, 3)]
    assert [r.details.get("joined", False) for r in results] == [False, True, True]
    await notifier.slack.tick(1_000_100.0)  # past the digest interval: the card is redrawn
    [card] = fake_slack.roots("C0ALERTS")
    assert card.problems == {f"Checkout step {n} failed": 1 for n in (1, 2, 3)}
    [second] = [b for b in card.blocks if "Checkout step 2 failed" in json.dumps(b)]
    response = await notifier.post(**signed(accessory_press(card, second)))
    assert response.status_code == 200
    [one] = notifier.published
    assert (one.data.fingerprint, one.data.action) == ("fp-2", "ack")
    await eventually(lambda: "Acknowledged by <@U111>" in blocks_of(fake_slack, *card_at(card)))
    drawn = fake_slack.message(*card_at(card))
    lines = [b["text"]["text"] for b in drawn.blocks if "Checkout step" in json.dumps(b)]
    assert ["Acknowledged by" in line for line in lines] == [False, True, False]

    notifier.published.clear()
    response = await notifier.post(**signed(accessory_press(drawn, drawn.blocks[0])))
    assert response.status_code == 200
    assert sorted(c.data.fingerprint for c in notifier.published) == ["fp-1", "fp-2", "fp-3"]
    assert {c.data.action for c in notifier.published} == {"ack"}
    assert len({c.id for c in notifier.published}) == 3
    await eventually(
        lambda: blocks_of(fake_slack, *card_at(card)).count("Acknowledged by <@U111>") == 3
    )


def card_at(message: Message) -> tuple[str, str]:
    return message.channel, message.ts
