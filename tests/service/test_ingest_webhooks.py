"""The ingest service, run as its own process: webhooks in over HTTP, RawError out on errors.raw.

Real vendor payloads (tests/fixtures/ingest), the real broker, nothing of ours mocked.
"""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.ingest.signature import sign
from shared.events import RawError
from shared.fingerprint import fingerprint
from shared.topics import ERRORS_RAW
from tests.kafka_helpers import Record, read_all, read_until
from tests.procs import ServiceProcess, running_service

pytestmark = pytest.mark.broker

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "ingest"
SECRET = "integration-client-secret"
TOKEN = "alert-token"
ENV = {
    "SENTRY_CLIENT_SECRET": SECRET,
    "ALERT_WEBHOOK_TOKEN": TOKEN,
    "INGEST_DSN_KEYS": "",
    "ALERTORCH_INGEST__MAX_BODY_BYTES": "65536",
}


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def containing(marker: str):  # type: ignore[no-untyped-def]
    def match(record: Record) -> bool:
        return record.value is not None and marker.encode() in record.value

    return match


def events(records: list[Record]) -> list[RawError]:
    return [RawError.model_validate_json(r.value) for r in records if r.value is not None]


@pytest.fixture
def ingest(kafka_bootstrap: str) -> Iterator[ServiceProcess]:
    with running_service("ingest", bootstrap=kafka_bootstrap, env=ENV) as service:
        yield service


async def sentry_post(
    client: httpx.AsyncClient,
    body: bytes,
    *,
    resource: str,
    request_id: str | None = None,
    signature: str | None = None,
    content_type: str = "application/json",
) -> httpx.Response:
    headers = {
        "Content-Type": content_type,
        "Sentry-Hook-Resource": resource,
        "Sentry-Hook-Timestamp": "1566248317",
        "Sentry-Hook-Signature": sign(body, SECRET) if signature is None else signature,
    }
    if request_id:
        headers["Request-ID"] = request_id
    return await client.post("/webhooks/sentry", content=body, headers=headers)


def _issue_created(marker: str, title: str) -> dict[str, Any]:
    """Sentry's ``issue.created`` example about an issue of its own: its id spelt from
    ``marker``, titled ``title``."""
    created: dict[str, Any] = load("sentry_webhook_issue_created.docs.json")
    created["data"]["issue"]["id"] = str(int(marker, 16))
    created["data"]["issue"]["title"] = title
    return created


async def _taken_then_duplicate(
    client: httpx.AsyncClient, body: bytes, first_id: str, again_id: str
) -> None:
    """``body`` as an ``issue`` webhook is taken with request id ``first_id``, and is a
    duplicate when sent again with ``again_id``."""
    taken = await sentry_post(client, body, resource="issue", request_id=first_id)
    assert taken.status_code == 202, taken.text
    again = await sentry_post(client, body, resource="issue", request_id=again_id)
    assert again.status_code == 200
    assert again.json()["status"] == "duplicate"


async def test_sentry_webhooks(kafka_bootstrap: str, ingest: ServiceProcess) -> None:
    marker = os.urandom(4).hex()
    issue_id = str(int(marker, 16))
    created = _issue_created(marker, f"ReferenceError: blooopy is not defined {marker}")
    created_body = json.dumps(created).encode()
    error = load("sentry_webhook_error_created.docs.json")
    error["data"]["error"]["issue_id"] = issue_id
    error["data"]["error"]["title"] = f"ReferenceError {marker}"
    metric = load("sentry_webhook_metric_alert_resolved.docs.json")
    metric["data"]["metric_alert"]["id"] = marker
    alert = load("sentry_webhook_event_alert_triggered.docs.json")
    alert["data"]["event"]["title"] = f"heck {marker}"
    bad = f"bad-{marker}"
    async with httpx.AsyncClient(base_url=ingest.url, timeout=30) as client:
        await _taken_then_duplicate(client, created_body, f"r1-{marker}", f"r1-{marker}")
        for resource, body in (("error", error), ("metric_alert", metric), ("event_alert", alert)):
            answer = await sentry_post(client, json.dumps(body).encode(), resource=resource)
            assert answer.status_code == 202, answer.text
        assigned = load("sentry_webhook_issue_assigned.zulip.json")
        answer = await sentry_post(client, json.dumps(assigned).encode(), resource="issue")
        assert (answer.status_code, answer.json()["ignored"]) == (200, "issue.assigned")

        # Refusals: each gets its status and a precise error, and publishes nothing.
        refused = json.dumps({**created, "bad": bad}).encode()
        wrong = await sentry_post(client, refused, resource="issue", signature="0" * 64)
        assert wrong.status_code == 401
        assert wrong.json()["details"][0]["field"] == "Sentry-Hook-Signature"
        assert (
            await sentry_post(client, refused, resource="issue", signature="")
        ).status_code == 401
        broken = b'{"action": "created", "data": {"issue": ' + bad.encode()
        malformed = await sentry_post(client, broken, resource="issue")
        assert malformed.status_code == 400
        assert malformed.json()["error"] == "the body is not valid JSON"
        no_issue = json.dumps({"action": "created", "data": {"bad": bad}}).encode()
        invalid = await sentry_post(client, no_issue, resource="issue")
        assert invalid.status_code == 422
        assert invalid.json()["details"] == [
            {"field": "data.issue", "error": "must be a JSON object"}
        ]
        huge = json.dumps({"data": {"bad": bad, "pad": "x" * 70_000}}).encode()
        assert (await sentry_post(client, huge, resource="issue")).status_code == 413
        xml = await sentry_post(client, refused, resource="issue", content_type="application/xml")
        assert xml.status_code == 415
        metrics = (await client.get("/metrics")).text

    records = await read_until(
        kafka_bootstrap, ERRORS_RAW, lambda r: len(r) >= 4, match=containing(marker)
    )
    by_title = {e.data.title: (e, r) for e, r in zip(events(records), records, strict=True)}
    issue_event, issue_record = by_title[created["data"]["issue"]["title"]]
    issue_key = fingerprint(kind="sentry_issue", parts=[issue_id])
    assert issue_record.key == issue_key.encode()
    assert issue_event.data.origin == "sentry_webhook"
    assert issue_event.data.project == "front-end"
    _error_event, error_record = by_title[f"ReferenceError {marker}"]
    assert error_record.key == issue_key.encode(), "the event joins its issue's key"
    metric_event = next(e for e in events(records) if e.data.external_id == marker)
    assert metric_event.data.status == "resolved"
    assert f"heck {marker}" in by_title
    everything = await read_all(kafka_bootstrap, ERRORS_RAW, match=containing(marker))
    assert len(everything) == 4, "the replayed Request-ID published nothing"
    assert not await read_all(kafka_bootstrap, ERRORS_RAW, match=containing(bad))
    assert 'alertorch_ingest_requests_total{outcome="duplicate",source="sentry_webhook"}' in metrics
    assert 'alertorch_ingest_requests_total{outcome="unauthorized",source="sentry_webhook"}' in (
        metrics
    )


async def test_custom_alerts_and_alertmanager(kafka_bootstrap: str, ingest: ServiceProcess) -> None:
    marker = os.urandom(4).hex()
    auth = {"Authorization": f"Bearer {TOKEN}"}
    alert = {
        "title": f"Payment provider returning 502 {marker}",
        "severity": "high",
        "source": "billing",
        "environment": "production",
        "tags": {"provider": "acme", "retries": 3},
        "dedup_key": f"pp-{marker}",
        "url": "https://status.example.com",
    }
    am = load("alertmanager_webhook_v4_firing_two_alerts.zulip.json")
    for i, item in enumerate(am["alerts"]):
        item["fingerprint"] = f"{marker}{i}"
        item["annotations"]["summary"] = f"High CPU core temperature {marker}"
    bad = f"bad-{marker}"
    async with httpx.AsyncClient(base_url=ingest.url, timeout=30) as client:
        accepted = await client.post("/webhooks/alert", json=alert, headers=auth)
        assert accepted.status_code == 202, accepted.text
        keyed = {**alert, "title": f"keyed {marker}", "dedup_key": None}
        idem = {**auth, "Idempotency-Key": f"k-{marker}"}
        assert (await client.post("/webhooks/alert", json=keyed, headers=idem)).status_code == 202
        replay = await client.post("/webhooks/alert", json=keyed, headers=idem)
        assert (replay.status_code, replay.json()["status"]) == (200, "duplicate")
        no_token = await client.post("/webhooks/alert", json={**alert, "title": bad})
        assert no_token.status_code == 401
        wrong = await client.post(
            "/webhooks/alert", json={**alert, "title": bad}, headers={"Authorization": "Bearer x"}
        )
        assert wrong.status_code == 401
        invalid = await client.post(
            "/webhooks/alert",
            json={"title": bad, "severity": "urgent", "sorce": "typo"},
            headers=auth,
        )
        assert invalid.status_code == 422
        fields = {d["field"] for d in invalid.json()["details"]}
        assert fields == {"severity", "source", "sorce"}
        form = await client.post(
            "/webhooks/alert",
            content=f"title={bad}",
            headers={**auth, "Content-Type": "application/x-www-form-urlencoded"},
        )
        assert form.status_code == 415
        listed = await client.post("/webhooks/alert", json=[alert], headers=auth)
        assert listed.status_code == 422

        fired = await client.post("/webhooks/alertmanager", json=am, headers=auth)
        assert fired.status_code == 202, fired.text
        assert len(fired.json()["ids"]) == 2
        old = {**am, "version": "3", "receiver": bad}
        refused = await client.post("/webhooks/alertmanager", json=old, headers=auth)
        assert refused.status_code == 422
        assert refused.json()["details"][0]["field"] == "version"
        unauth = await client.post("/webhooks/alertmanager", json=am)
        assert unauth.status_code == 401

    records = await read_until(
        kafka_bootstrap, ERRORS_RAW, lambda r: len(r) >= 4, match=containing(marker)
    )
    pairs = list(zip(events(records), records, strict=True))
    custom, record = next((e, r) for e, r in pairs if e.data.title == alert["title"])
    assert record.key == fingerprint(kind="dedup_key", parts=["billing", f"pp-{marker}"]).encode()
    assert custom.data.origin == "custom"
    assert custom.data.tags == {"provider": "acme", "retries": "3"}
    assert custom.data.url == "https://status.example.com"
    keyed_events = [e for e, _ in pairs if e.data.title == f"keyed {marker}"]
    assert len(keyed_events) == 1
    firing = sorted(
        (e.data.external_id or "", r.key) for e, r in pairs if e.data.origin == "alertmanager"
    )
    assert firing == [
        (f"{marker}{i}", fingerprint(kind="alertmanager", parts=[f"{marker}{i}"]).encode())
        for i in range(2)
    ]
    assert not await read_all(kafka_bootstrap, ERRORS_RAW, match=containing(bad))


async def test_a_signed_body_replayed_with_a_new_request_id_publishes_nothing(
    kafka_bootstrap: str, ingest: ServiceProcess
) -> None:
    marker = os.urandom(4).hex()
    body = json.dumps(_issue_created(marker, f"TypeError replayed {marker}")).encode()
    async with httpx.AsyncClient(base_url=ingest.url, timeout=30) as client:
        await _taken_then_duplicate(client, body, f"a-{marker}", f"b-{marker}")
        bare = await sentry_post(client, body, resource="issue")
        assert bare.json()["status"] == "duplicate"
    await read_until(kafka_bootstrap, ERRORS_RAW, lambda r: len(r) >= 1, match=containing(marker))
    assert len(await read_all(kafka_bootstrap, ERRORS_RAW, match=containing(marker))) == 1


async def test_the_signature_is_checked_before_anything_is_inflated(
    ingest: ServiceProcess,
) -> None:
    bomb = gzip.compress(b" " * 30_000_000)  # 30 MB of spaces, about 30 KB on the wire
    headers = {
        "Content-Type": "application/json",
        "Content-Encoding": "gzip",
        "Sentry-Hook-Resource": "issue",
        "Sentry-Hook-Signature": "0" * 64,
    }
    async with httpx.AsyncClient(base_url=ingest.url, timeout=30) as client:
        answer = await client.post("/webhooks/sentry", content=bomb, headers=headers)
        assert answer.status_code == 401  # refused unread, not inflated into a 413
        signed = {**headers, "Sentry-Hook-Signature": sign(bomb, SECRET)}
        inflated = await client.post("/webhooks/sentry", content=bomb, headers=signed)
        assert inflated.status_code == 413  # a signed sender still meets the inflation limit
