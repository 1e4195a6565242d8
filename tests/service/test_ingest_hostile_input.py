"""Hostile bodies and headers on every ingest endpoint: a precise 4xx, never a 500 or a dropped
connection, with bounded memory, and nothing published."""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Iterator

import httpx
import pytest

from services.ingest.signature import sign
from shared.topics import ERRORS_RAW
from tests.kafka_helpers import read_all
from tests.procs import MIB, ServiceProcess, running_service

pytestmark = pytest.mark.broker

SECRET = "integration-client-secret"
TOKEN = "alert-token"
KEY = "422f73a2fd8f4471a5ccc03c77a25d09"
ENV = {"SENTRY_CLIENT_SECRET": SECRET, "ALERT_WEBHOOK_TOKEN": TOKEN, "INGEST_DSN_KEYS": KEY}
BEARER = {"Authorization": f"Bearer {TOKEN}"}
SDK = {"X-Sentry-Auth": f"Sentry sentry_key={KEY}, sentry_version=7"}


@pytest.fixture(scope="module")
def ingest(kafka_bootstrap: str) -> Iterator[ServiceProcess]:
    with running_service("ingest", bootstrap=kafka_bootstrap, env=ENV) as service:
        yield service


def _deep(marker: str) -> dict[str, bytes]:
    nested = b'{"title": "' + marker.encode() + b'", "x": ' + b"[" * 20_000 + b"]" * 20_000 + b"}"
    return {"nested 20,000 deep": nested, "100 KB of [": b"[" * 100_000}


def _posts(body: bytes, signed: bytes) -> list[tuple[str, dict[str, str], bytes]]:
    envelope = b'{}\n{"type": "event"}\n' + body.replace(b"\n", b" ") + b"\n"
    hook = {"Sentry-Hook-Signature": sign(signed, SECRET), "Sentry-Hook-Resource": "error"}
    return [
        ("/webhooks/alert", BEARER, body),
        ("/webhooks/alertmanager", BEARER, body),
        ("/webhooks/sentry", hook, signed),
        ("/api/7/store/", SDK, body),
        ("/api/7/envelope/", SDK, envelope),
        ("/api/7/envelope/", SDK, body + b"\n"),
    ]


async def test_deeply_nested_json_is_a_400_everywhere_plain_or_gzipped(
    kafka_bootstrap: str, ingest: ServiceProcess
) -> None:
    marker = os.urandom(4).hex()
    with ingest.bounded_growth(100 * MIB):
        async with httpx.AsyncClient(base_url=ingest.url, timeout=30) as client:
            for name, body in _deep(marker).items():
                for path, headers, sent in _posts(body, body):
                    for coding in ("identity", "gzip"):
                        extra = {"Content-Encoding": "gzip"} if coding == "gzip" else {}
                        content = gzip.compress(sent) if coding == "gzip" else sent
                        answer = await client.post(
                            path, content=content, headers={**headers, **extra}
                        )
                        where = f"{name} to {path} ({coding})"
                        status = answer.status_code
                        assert 400 <= status < 500, (where, status, answer.text)
                        assert answer.json()["error"], where
    assert not await read_all(
        kafka_bootstrap, ERRORS_RAW, match=lambda r: marker.encode() in (r.value or b"")
    )


@pytest.mark.parametrize(
    ("path", "header"),
    [
        ("/webhooks/sentry", "Sentry-Hook-Signature"),
        ("/webhooks/alert", "Authorization"),
        ("/api/7/envelope/", "X-Sentry-Auth"),
    ],
)
async def test_a_non_ascii_credential_header_is_a_401_or_403(
    ingest: ServiceProcess, path: str, header: str
) -> None:
    body = json.dumps({"title": "x", "severity": "low", "source": "t"}).encode()
    value = "Bearer tök€n" if header == "Authorization" else "sentry_key=kéy, sïg=ünïcode"
    if header == "Sentry-Hook-Signature":
        value = "ünïcödé" + sign(body, SECRET)[7:]
    raw = [(header.encode(), value.encode("utf-8")), (b"content-type", b"application/json")]
    if path == "/webhooks/sentry":
        raw.append((b"sentry-hook-resource", b"error"))
    async with httpx.AsyncClient(base_url=ingest.url, timeout=10) as client:
        answer = await client.post(path, content=body, headers=raw)
    assert answer.status_code in (401, 403), answer.text


@pytest.mark.parametrize("allow", [False, True])
async def test_alertmanager_is_closed_without_a_token_unless_opened_on_purpose(
    kafka_bootstrap: str, allow: bool
) -> None:
    marker = os.urandom(4).hex()
    body = {
        "version": "4",
        "status": "firing",
        "receiver": "alertorch",
        "groupKey": "{}",
        "alerts": [
            {
                "status": "firing",
                "labels": {"alertname": f"DiskFull {marker}", "severity": "warning"},
                "annotations": {},
                "startsAt": "2026-01-01T00:00:00Z",
                "fingerprint": marker,
            }
        ],
    }
    env = {"ALERTORCH_INGEST__ALERTMANAGER_ALLOW_UNAUTHENTICATED": str(allow).lower()}
    with running_service("ingest", bootstrap=kafka_bootstrap, env=env) as service:
        async with httpx.AsyncClient(base_url=service.url, timeout=10) as client:
            answer = await client.post("/webhooks/alertmanager", json=body)
    if allow:
        assert answer.status_code == 202, answer.text
    else:
        assert answer.status_code == 401
        assert "ALERT_WEBHOOK_TOKEN is not set" in answer.json()["error"]
        assert not await read_all(
            kafka_bootstrap, ERRORS_RAW, match=lambda r: marker.encode() in (r.value or b"")
        )
