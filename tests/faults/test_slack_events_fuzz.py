"""Property-based tests of the notifier's Slack interactivity endpoint (``POST /slack/events``),
through the real HTTP service on a broker of its own, with a fake Slack for its API calls: whatever
a request carries (signed or not, a press, a near-press, any JSON, any bytes, any content type, too
large), the answer is never a 5xx, a badly signed one is a 401 that publishes nothing, and what is
published on ``commands`` (and ``silences``) is exactly a press some accepted body carried: never
one from a refused body, never an invented one; the process's memory stays bounded."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.notifier.slack.interactivity import MAX_BODY
from shared.events import Command, Silence
from shared.topics import COMMANDS, SILENCES, topic
from tests.fakes.server import served
from tests.fakes.slack import FakeSlack, sign
from tests.faults.pipeline import fuzz_settings, json_values
from tests.kafka_helpers import read_all
from tests.procs import MIB, ServiceProcess, running_service

pytestmark = [pytest.mark.broker, pytest.mark.e2e]

SECRET = "fuzz-slack-signing-secret"
OPERATOR = "U0OPERATOR"  # slack.authorized_users: may press every button
EXAMPLES = 40  # per group
FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "slack"
#: Stands for a fingerprint in generated button values; each body gets its own (see ``_unique``).
FP = "@FP@"
#: Our buttons' action ids, Investigate's (a link: nothing to do) and others' ones.
ACTION_IDS = (
    *("ack", "approve", "reject", "rollback", "snooze", "silence", "escalate", "resolve"),
    *("create_issue", "investigate", "button"),
)
#: Pressed by anyone (slack.action_permissions' defaults): a well-formed press of one is taken.
ANYONE = ("ack", "escalate", "silence", "create_issue")
#: Field names the handler reads, so that generated bodies reach past the first check.
FIELDS = tuple(
    " ".join(
        (
            "type user id username name team_id container channel_id message_ts is_ephemeral",
            "channel message ts blocks text actions action_id block_id value selected_option",
            "action_ts trigger_id response_url api_app_id team enterprise view state challenge",
        )
    ).split(" ")
)
TYPES = ("block_actions", "view_submission", "shortcut", "message_action", "url_verification")

texts = st.text(max_size=40) | st.sampled_from(["", " ", "\x00", "😀" * 3, "\ud800", "x" * 300])
scalars = st.none() | st.booleans() | st.integers() | st.floats() | texts
values = json_values(scalars, FIELDS, max_leaves=30)


def _mostly(likely: st.SearchStrategy[Any], *odd: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """``likely`` about three times in four, else one of ``odd``."""
    return st.integers(0, 3).flatmap(lambda n: likely if n else st.one_of(*odd))


user_ids = _mostly(st.sampled_from([OPERATOR, "U111", "W0ALICE"]), texts, values)
#: A button value: ours (a fingerprint, an attempt id), odd ones, or any text.
button_values = _mostly(
    st.fixed_dictionaries(
        {"f": (texts | st.just("")).map(lambda t: FP + t)},
        optional={"a": texts | values},
    ).map(json.dumps),
    st.builds(lambda v: json.dumps({"f": v}), values),
    st.sampled_from(['{"f": "' + FP + '"', "[" * 5000, "null", "{}"]),
    texts,
    values,
)
actions = st.fixed_dictionaries(
    {"action_id": _mostly(st.sampled_from(ACTION_IDS), texts), "value": button_values},
    optional={
        "type": st.sampled_from(["button", "static_select", "overflow"]) | texts,
        "selected_option": st.fixed_dictionaries(
            {"value": st.sampled_from(["900", "3600", "86400", "5", "-1"]) | texts | values}
        )
        | values,
        "action_ts": st.sampled_from(["1678252216.469172"]) | texts | values,
        "block_id": texts,
    },
)
#: Payloads shaped like a press, any part of them odd or missing.
near_presses = st.fixed_dictionaries(
    {
        "type": _mostly(st.just("block_actions"), st.sampled_from(TYPES), texts, values),
        "actions": _mostly(
            st.lists(actions, min_size=1, max_size=3),
            st.lists(actions | values, max_size=3),
            values,
        ),
        "user": _mostly(
            st.fixed_dictionaries({"id": user_ids}, optional={"username": texts | values}), values
        ),
    },
    optional={
        "container": st.fixed_dictionaries(
            {"channel_id": st.just("C0ALERTS") | texts, "message_ts": texts | values}
        )
        | values,
        "channel": st.fixed_dictionaries({"id": st.just("C0ALERTS") | texts}) | values,
        "message": st.fixed_dictionaries(
            {"ts": texts | values, "blocks": st.lists(values, max_size=3) | values}
        )
        | values,
        "trigger_id": texts | values,
        "response_url": st.just("https://hooks.slack.com/actions/T0/1/x") | texts | values,
        "team": values,
        "enterprise": values,
        "challenge": values,
    },
)


def _well_formed(action: str, user: str, attempt: str | None) -> dict[str, Any]:
    """A press of one of our buttons as Slack sends it (its documented payload)."""
    payload: dict[str, Any] = json.loads(
        (FIXTURE / "slack_block_actions_button_with_message.bolt-python.json").read_text()
    )
    value = {"f": FP, **({"a": attempt} if attempt else {})}
    payload["user"] = {"id": user, "username": "alice"}
    payload["actions"][0].update({"action_id": action, "value": json.dumps(value)})
    return payload


well_formed = st.builds(
    _well_formed,
    st.sampled_from(ANYONE),
    st.sampled_from([OPERATOR, "U111", "W0ALICE"]),
    st.none() | st.sampled_from(["att-1", "att-2"]),
)

_serial = itertools.count()


def _unique(payload: Any) -> Any:
    """``payload`` with each fingerprint made its own, so that what is published names the body
    that carried it."""
    return json.loads(json.dumps(payload).replace(FP, f"fp{next(_serial)}-"))


def _carried(payload: Any) -> set[tuple[str, str, str]]:
    """(fingerprint, action, user) of every press a payload carries: a ``block_actions`` from a
    user, whose action has a value naming a fingerprint (an upper bound of what may publish)."""
    if not isinstance(payload, dict) or payload.get("type") != "block_actions":
        return set()
    user = payload.get("user")
    pressed = payload.get("actions")
    if not isinstance(user, dict) or not isinstance(pressed, list):
        return set()
    found = set()
    for action in pressed:
        if not isinstance(action, dict) or not isinstance(action.get("value"), str):
            continue
        try:
            value = json.loads(action["value"])
        except (ValueError, RecursionError):
            continue
        if isinstance(value, dict):
            found.add((str(value.get("f")), str(action.get("action_id")), str(user.get("id"))))
    return found


def _form(payload: Any) -> str:
    return urlencode({"payload": json.dumps(payload)})


def _signed(body: str, *, age: int = 0, secret: str = SECRET) -> dict[str, str]:
    timestamp = str(int(time.time()) - age)
    return {
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": sign(secret, timestamp, body),
    }


FORM = "application/x-www-form-urlencoded"
BAD_SIGNATURES = (
    *("none", "no timestamp", "wrong secret", "stale", "future", "tampered", "other", "empty"),
    *("non-ASCII signature", "non-ASCII timestamp", "not a number"),
)
CONTENT_TYPES = (FORM, FORM, "application/json", "text/plain", "multipart/form-data", "")


@pytest.fixture
def slack() -> Iterator[tuple[FakeSlack, str]]:
    with served(FakeSlack()) as fake_and_url:
        yield fake_and_url


@pytest.fixture
def notifier(
    own_broker: str, slack: tuple[FakeSlack, str], tmp_path: Path
) -> Iterator[ServiceProcess]:
    fake, url = slack
    env = fake.env(
        url,
        SLACK_SIGNING_SECRET=SECRET,
        ALERTORCH_SLACK__AUTHORIZED_USERS=json.dumps([OPERATOR]),
        ALERTORCH_STORAGE__DATA_DIRECTORY=str(tmp_path),
    )
    with running_service("notifier", bootstrap=own_broker, env=env) as service:
        yield service


def _published(bootstrap: str) -> set[tuple[str, str, str]]:
    """(fingerprint, action, user) of every command and silence on the broker."""
    found: set[tuple[str, str, str]] = set()
    for record in asyncio.run(read_all(bootstrap, COMMANDS)):
        command = topic(COMMANDS).decode(record.value)
        assert isinstance(command, Command)
        data = command.data
        found.add((data.fingerprint, data.action, data.actor.id))
    for record in asyncio.run(read_all(bootstrap, SILENCES)):
        silence = topic(SILENCES).decode(record.value)
        assert isinstance(silence, Silence)
        made = silence.data
        assert made.created_by is not None
        found.add((str(made.matchers.fingerprint), "silence", made.created_by.id))
    return found


async def test_any_request_to_slack_events_is_a_2xx_or_4xx_and_publishes_only_presses_it_carried(
    own_broker: str, notifier: ServiceProcess
) -> None:
    await asyncio.to_thread(_fuzz, own_broker, notifier)


def _fuzz(bootstrap: str, notifier: ServiceProcess) -> None:
    accepted: set[tuple[str, str, str]] = set()  # carried by bodies answered 2xx
    refused: set[tuple[str, str, str]] = set()  # carried by bodies answered 4xx
    taken: set[tuple[str, str, str]] = set()  # well-formed presses: must be published
    with (
        notifier.bounded_growth(150 * MIB),
        httpx.Client(base_url=notifier.url, timeout=30) as client,
    ):

        def post(content: bytes | str, headers: dict[str, str] | list[tuple[bytes, bytes]]) -> int:
            answer = client.post("/slack/events", content=content, headers=headers)
            assert answer.status_code < 500, (answer.status_code, answer.text, content[:300])
            if answer.status_code >= 400:
                assert answer.json()["error"], content[:300]
            return answer.status_code

        common = fuzz_settings(EXAMPLES)

        @common
        @given(
            shaped=st.tuples(st.just(True), well_formed)
            | st.tuples(st.just(False), near_presses | near_presses | values),
            as_json=_mostly(st.just(False), st.just(True)),
            kind=_mostly(st.just(FORM), st.sampled_from(CONTENT_TYPES)),
        )
        def signed_payloads(shaped: tuple[bool, Any], as_json: bool, kind: str) -> None:
            ours, payload = shaped[0], _unique(shaped[1])
            body = json.dumps(payload) if as_json else _form(payload)
            status = post(body, {"Content-Type": kind, **_signed(body)})
            carried = _carried(payload)
            (accepted if status < 400 else refused).update(carried)
            if ours and kind == FORM and not as_json:  # a press of ours, sent as Slack sends it
                assert status == 200, body
                taken.update(carried)

        @common
        @given(
            body=st.binary(max_size=300)
            | st.text(max_size=300).map(str.encode)
            | st.builds(lambda v: ("payload=" + json.dumps(v)).encode(), values)
            | st.sampled_from([b"payload=" + b"[" * 100_000, b"payload=%FF%FE", b"{}" * 10]),
            kind=st.sampled_from(CONTENT_TYPES),
            oversized=st.sampled_from([0] * 12 + [MAX_BODY + 1]),
        )
        def signed_bytes(body: bytes, kind: str, oversized: int) -> None:
            body = body + b"a" * oversized
            try:
                text = body.decode()
            except UnicodeDecodeError:  # a signature over other text: the notifier cannot check
                text = body.decode("latin-1")
            status = post(body, {"Content-Type": kind, **_signed(text)})
            assert status != 413 or len(body) > MAX_BODY
            if oversized:
                assert status == 413

        @common
        @given(
            payload=well_formed,
            how=st.sampled_from(BAD_SIGNATURES),
            age=st.integers(min_value=301, max_value=10**9),
        )
        def badly_signed(payload: dict[str, Any], how: str, age: int) -> None:
            payload = _unique(payload)
            body = _form(payload)
            refused.update(_carried(payload))
            headers = _signed(body)
            if how == "none":
                headers = {}
            elif how == "no timestamp":
                del headers["X-Slack-Request-Timestamp"]
            elif how == "wrong secret":
                headers = _signed(body, secret=SECRET + "x")
            elif how in ("stale", "future"):
                headers = _signed(body, age=age if how == "stale" else -age)
            elif how == "tampered":
                body = body.replace("alice", "mallory")
            elif how == "other":
                headers = _signed(_form({**payload, "trigger_id": "other"}))
            elif how == "empty":
                headers["X-Slack-Signature"] = ""
            raw = {k.encode(): v.encode() for k, v in headers.items()}
            if how == "non-ASCII signature":
                raw[b"X-Slack-Signature"] += "é".encode()
            elif how == "non-ASCII timestamp":
                raw[b"X-Slack-Request-Timestamp"] = "²".encode()  # a digit int() refuses
            elif how == "not a number":
                raw[b"X-Slack-Request-Timestamp"] = b"1e9"
            assert post(body, [(b"Content-Type", FORM.encode()), *raw.items()]) == 401

        for run in (signed_payloads, signed_bytes, badly_signed):
            run()
    published = _published(bootstrap)
    assert taken, "no well-formed press was generated"
    assert taken <= published, "a well-formed press was answered 200 but not published"
    assert published <= accepted, "published a press no accepted body carried"
    assert not published & refused, "published a press from a refused body"
