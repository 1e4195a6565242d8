"""The ingest service, run as its own process: Datadog monitor webhooks in over HTTP, RawError
out on errors.raw. Payloads from Datadog's docs (tests/fixtures/ingest), the real broker, nothing
of ours mocked; the test client posts what Datadog's Webhooks integration posts."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.ingest import app as ingest_app
from shared.config import load_settings
from shared.events import RawError
from shared.topics import ERRORS_RAW
from tests.kafka_helpers import Record, read_all, read_until
from tests.procs import running_service

pytestmark = pytest.mark.broker

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "ingest"
TOKEN = "datadog-token"
ENV = {
    "ALERTORCH_INTEGRATIONS__DATADOG__ENABLED": "true",
    "DATADOG_WEBHOOK_TOKEN": TOKEN,
    "INGEST_DSN_KEYS": "",
}
# What the webhook's custom headers field holds in Datadog: {"Authorization": "Bearer <token>"}
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def load(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return loaded


def containing(marker: str):  # type: ignore[no-untyped-def]
    def match(record: Record) -> bool:
        return record.value is not None and marker.encode() in record.value

    return match


def monitor(name: str, marker: str) -> dict[str, Any]:
    body = load(name)
    body["alert_id"] = marker
    body["tags"] = f"{body['tags']}, service:checkout, env:production"
    return body


async def test_datadog_monitor_fires_and_recovers(kafka_bootstrap: str) -> None:
    marker = os.urandom(4).hex()
    bad = f"bad-{marker}"
    triggered = monitor("datadog_webhook_template_triggered.docs.json", marker)
    recovered = monitor("datadog_webhook_template_recovered.docs.json", marker)
    refused = {**triggered, "title": bad}
    with running_service("ingest", bootstrap=kafka_bootstrap, env=ENV) as ingest:
        async with httpx.AsyncClient(base_url=ingest.url, timeout=30) as client:
            post = client.post
            no_token = await post("/webhooks/datadog", json=refused)
            assert no_token.status_code == 401
            assert no_token.headers["www-authenticate"] == "Bearer"
            wrong = await post("/webhooks/datadog", json=refused, headers={"Authorization": "x"})
            assert (wrong.status_code, wrong.json()["error"]) == (401, "missing bearer token")
            wrong = await post(
                "/webhooks/datadog", json=refused, headers={**AUTH, "Authorization": "Bearer x"}
            )
            assert (wrong.status_code, wrong.json()["error"]) == (401, "invalid bearer token")

            fired = await post("/webhooks/datadog", json=triggered, headers=AUTH)
            assert fired.status_code == 202, fired.text
            retried = await post("/webhooks/datadog", json=triggered, headers=AUTH)
            assert retried.status_code == 200, retried.text
            assert retried.json() == {"status": "duplicate", "id": fired.json()["id"]}
            resolved = await post("/webhooks/datadog", json=recovered, headers=AUTH)
            assert resolved.status_code == 202, resolved.text
            assert resolved.json()["fingerprint"] == fired.json()["fingerprint"]

            not_json = await post("/webhooks/datadog", content=f"{{{bad}", headers=AUTH)
            assert not_json.status_code == 400
            listed = await post("/webhooks/datadog", json=[refused], headers=AUTH)
            assert listed.status_code == 422
            untitled = {k: v for k, v in refused.items() if k not in ("title", "alert_title")}
            no_title = await post("/webhooks/datadog", json=untitled, headers=AUTH)
            assert no_title.status_code == 422
            assert no_title.json()["details"][0]["field"] == "title"
            form = await post(
                "/webhooks/datadog",
                content=f"title={bad}",
                headers={**AUTH, "Content-Type": "application/x-www-form-urlencoded"},
            )
            assert form.status_code == 415
            metrics = (await client.get("/metrics")).text

    records = await read_until(
        kafka_bootstrap, ERRORS_RAW, lambda r: len(r) >= 2, match=containing(marker)
    )
    events = [RawError.model_validate_json(r.value) for r in records if r.value is not None]
    fingerprint = fired.json()["fingerprint"]
    assert {r.key for r in records} == {fingerprint.encode()}
    assert [(e.id, e.data.status) for e in events] == [  # the retried delivery published once
        (fired.json()["id"], "firing"),
        (resolved.json()["id"], "resolved"),
    ]
    first = events[0].data
    assert (first.origin, first.service, first.environment) == ("datadog", "checkout", "production")
    assert first.external_id == marker
    assert not await read_all(kafka_bootstrap, ERRORS_RAW, match=containing(bad))
    for outcome in ("accepted", "unauthorized", "bad_request", "invalid"):
        assert f'{{outcome="{outcome}",source="datadog"}}' in metrics, outcome


@pytest.mark.parametrize(
    ("settings", "status", "error"),
    [
        ({}, 404, None),  # off unless integrations.datadog.enabled
        ({"ENABLED": "true"}, 401, "DATADOG_WEBHOOK_TOKEN is not set on the server"),
        ({"ENABLED": "true", "ALLOW_UNAUTHENTICATED": "true"}, 422, "not a Datadog webhook"),
    ],
)
async def test_off_by_default_and_open_only_on_purpose(
    monkeypatch: pytest.MonkeyPatch, settings: dict[str, str], status: int, error: str | None
) -> None:
    """The service's own routes in process (no token set): a request that gets past the token
    check is refused for its body instead, so nothing needs publishing."""
    for key, setting in settings.items():
        monkeypatch.setenv(f"ALERTORCH_INTEGRATIONS__DATADOG__{key}", setting)
    transport = httpx.ASGITransport(app=ingest_app.create(load_settings()).asgi())
    async with httpx.AsyncClient(transport=transport, base_url="http://ingest") as client:
        answer = await client.post("/webhooks/datadog", json={"tags": "env:prod"})
    assert answer.status_code == status, answer.text
    if error:
        assert answer.json()["error"].startswith(error)
