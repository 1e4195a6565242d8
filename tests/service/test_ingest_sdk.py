"""Sentry SDKs pointed at the ingest service: envelopes and the legacy store endpoint, over real
HTTP into the running process, and out on errors.raw through the real broker."""

from __future__ import annotations

import asyncio
import gzip
import json
import os
import subprocess
import sys
import textwrap
import uuid
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import brotli
import httpx
import pytest

from shared.events import RawError
from shared.fingerprint import fingerprint
from shared.topics import ERRORS_RAW
from tests.kafka_helpers import Record, read_all, read_until
from tests.procs import MIB, ServiceProcess, running_service

pytestmark = pytest.mark.broker

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "ingest"
KEY = "422f73a2fd8f4471a5ccc03c77a25d09"
PROJECT = "7"
ENV = {"INGEST_DSN_KEYS": f"otherkey,{KEY}", "ALERTORCH_INGEST__MAX_BODY_BYTES": "65536"}
AUTH = {"X-Sentry-Auth": f"Sentry sentry_key={KEY}, sentry_version=7, sentry_client=test/1.0"}
ENCODERS: dict[str, Callable[[bytes], bytes]] = {
    "identity": lambda b: b,
    "gzip": gzip.compress,
    "deflate": zlib.compress,
    "br": brotli.compress,
}


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def envelope(parts: list[Any]) -> bytes:
    """Serialise a fixture's [header, item header, payload, ...] list, recomputing lengths."""
    lines = [json.dumps(parts[0]).encode()]
    for item_header, payload in zip(parts[1::2], parts[2::2], strict=True):
        body = json.dumps(payload).encode()
        lines += [json.dumps({**item_header, "length": len(body)}).encode(), body]
    return b"\n".join(lines) + b"\n"


def containing(marker: str) -> Callable[[Record], bool]:
    return lambda r: r.value is not None and marker.encode() in r.value


def decoded(records: list[Record]) -> list[tuple[RawError, Record]]:
    return [(RawError.model_validate_json(r.value or b""), r) for r in records]


@pytest.fixture
def ingest(kafka_bootstrap: str) -> Iterator[ServiceProcess]:
    with running_service("ingest", bootstrap=kafka_bootstrap, env=ENV) as service:
        yield service


async def test_envelopes_in_every_encoding(kafka_bootstrap: str, ingest: ServiceProcess) -> None:
    marker = os.urandom(4).hex()
    bad = f"bad-{marker}"
    url = f"/api/{PROJECT}/envelope/"
    sent: dict[str, str] = {}
    async with httpx.AsyncClient(base_url=ingest.url, timeout=30) as client:
        for coding, encode in ENCODERS.items():
            parts = load("sentry_sdk_envelope_python_django_message_as_json_list.glitchtip.json")
            event_id = uuid.uuid4().hex
            parts[0]["event_id"] = parts[2]["event_id"] = event_id
            parts[2]["message"] = f"Page not found! {marker} {coding}"
            headers = {**AUTH, "Content-Type": "application/x-sentry-envelope"}
            if coding != "identity":
                headers["Content-Encoding"] = coding
            answer = await client.post(url, content=encode(envelope(parts)), headers=headers)
            assert answer.status_code == 200, answer.text
            assert answer.json() == {"id": event_id}
            sent[coding] = event_id

        # The Android SDK's envelope (event + session), key in the query string.
        android = load("sentry_sdk_envelope_android_as_json_list.glitchtip.json")
        android[2]["message"] = {"formatted": f"android {marker}"}
        answer = await client.post(
            f"{url}?sentry_key={KEY}&sentry_version=7", content=envelope(android)
        )
        assert answer.status_code == 200, answer.text

        # Legacy store endpoint: one event as JSON.
        event = load("sentry_sdk_event_python_django_zerodivision.glitchtip.json")
        event["event_id"] = uuid.uuid4().hex
        event["tags"] = {"marker": marker}
        answer = await client.post(f"/api/{PROJECT}/store/", json=event, headers=AUTH)
        assert answer.status_code == 200, answer.text

        # Nothing but a session: accepted, nothing published.
        session = [{}, {"type": "session"}, {"sid": bad, "status": "ok"}]
        answer = await client.post(url, content=envelope(session), headers=AUTH)
        assert (answer.status_code, answer.json()) == (200, {})

        # Refusals.
        body = envelope([{}, {"type": "event"}, {"message": bad}])
        unknown = {"X-Sentry-Auth": "Sentry sentry_key=nope, sentry_version=7"}
        assert (await client.post(url, content=body, headers=unknown)).status_code == 403
        assert (await client.post(f"{url}?sentry_key=nope", content=body)).status_code == 403
        assert (await client.post(url, content=body)).status_code == 401
        framing = b'{}\n{"type": "event", "length": 9999}\n{"message": "' + bad.encode() + b'"}\n'
        malformed = await client.post(url, content=framing, headers=AUTH)
        assert malformed.status_code == 400
        assert malformed.json()["details"][0]["field"] == "items[0].header.length"
        not_json = b'{}\n{"type":"event","length":9}\n' + bad[:9].encode() + b"\n"
        answer = await client.post(url, content=not_json, headers=AUTH)
        assert answer.status_code == 400
        assert answer.json()["details"][0]["field"] == "items[0].payload"
        truncated = gzip.compress(body)[:-10]
        answer = await client.post(
            url, content=truncated, headers={**AUTH, "Content-Encoding": "gzip"}
        )
        assert answer.status_code == 400
        bomb = gzip.compress(b" " * 30_000_000)
        answer = await client.post(url, content=bomb, headers={**AUTH, "Content-Encoding": "gzip"})
        assert answer.status_code == 413
        xml = await client.post(
            url, content=body, headers={**AUTH, "Content-Type": "application/xml"}
        )
        assert xml.status_code == 415

    records = await read_until(
        kafka_bootstrap, ERRORS_RAW, lambda r: len(r) >= 6, match=containing(marker)
    )
    events = decoded(records)
    for coding, event_id in sent.items():
        raw, record = next((e, r) for e, r in events if e.data.external_id == event_id)
        title = f"Page not found! {marker} {coding}"
        assert raw.data.title == title
        assert record.key == fingerprint(kind="message", parts=[PROJECT, title]).encode()
        assert raw.data.origin == "sentry_sdk"
        assert raw.data.environment == "production"
        assert raw.data.severity == "info"
    store_event = next(e for e, _ in events if e.data.tags.get("marker") == marker)
    assert store_event.data.title == "ZeroDivisionError: division by zero"
    assert store_event.data.exception[-1].frames
    android_event = next(e for e, _ in events if e.data.message == f"android {marker}")
    assert android_event.data.title == "Exception: This is a test."
    assert android_event.data.release == "com.example.androiderrorfactory@1.0+1"
    assert len(await read_all(kafka_bootstrap, ERRORS_RAW, match=containing(marker))) == 6
    assert not await read_all(kafka_bootstrap, ERRORS_RAW, match=containing(bad))


SDK_SCRIPT = textwrap.dedent(
    """
    import sys

    import sentry_sdk

    sentry_sdk.init(
        dsn=sys.argv[1], environment="staging", release="shop@1.2.3", default_integrations=False
    )
    sentry_sdk.set_tag("marker", sys.argv[2])


    def divide(amount):
        return amount / 0


    try:
        divide(10)
    except ZeroDivisionError as exc:
        print(sentry_sdk.capture_exception(exc))
    sentry_sdk.flush(timeout=20)
    """
)


async def test_the_real_sentry_sdk(kafka_bootstrap: str, ingest: ServiceProcess) -> None:
    pytest.importorskip("sentry_sdk", reason="sentry-sdk is not installed")
    marker = os.urandom(4).hex()
    dsn = f"http://{KEY}@127.0.0.1:{ingest.port}/{PROJECT}"
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-c", SDK_SCRIPT, dsn, marker],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    event_id = done.stdout.strip()
    [record] = await read_until(
        kafka_bootstrap, ERRORS_RAW, lambda r: len(r) >= 1, match=containing(marker)
    )
    raw = RawError.model_validate_json(record.value or b"")
    assert raw.data.external_id == event_id
    assert raw.data.title == "ZeroDivisionError: division by zero"
    assert raw.data.environment == "staging"
    assert raw.data.release == "shop@1.2.3"
    assert raw.data.tags["marker"] == marker
    assert any(f.function == "divide" for f in raw.data.exception[-1].frames)
    assert record.key == raw.data.fingerprint.encode()


async def test_a_hostile_log_template_is_formatted_in_bounded_memory(
    kafka_bootstrap: str, ingest: ServiceProcess
) -> None:
    """DSN keys are public: a sender's ``%1000000000d`` must not make us allocate a gigabyte."""
    marker = os.urandom(4).hex()
    event = {
        "event_id": uuid.uuid4().hex,
        "level": "error",
        "logentry": {"message": f"{marker} %1000000000d %.999999999f %s", "params": [7, 1.5, "x"]},
    }
    with ingest.bounded_growth(50 * MIB):
        async with httpx.AsyncClient(base_url=ingest.url, timeout=30) as client:
            answer = await client.post(f"/api/{PROJECT}/store/", json=event, headers=AUTH)
    assert answer.status_code == 200, answer.text
    records = await read_until(kafka_bootstrap, ERRORS_RAW, bool, match=containing(marker))
    [(published, _)] = decoded(records)
    message = published.data.message or ""
    assert message.startswith(marker)
    assert len(message) < 1000
    assert message.endswith(" x")
