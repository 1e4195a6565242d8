"""Property-based tests of every ingest endpoint, through the real HTTP service and a broker of
its own: whatever JSON (or not JSON) arrives, plain or gzip'd, bare or inside a Sentry envelope,
the answer is never a 5xx, a refused body publishes nothing, an accepted one publishes exactly
what it says, and the process's memory stays bounded."""

from __future__ import annotations

import asyncio
import gzip
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.ingest.signature import sign
from shared.topics import ERRORS_RAW
from tests.faults.pipeline import fuzz_settings, json_values
from tests.kafka_helpers import read_all
from tests.procs import MIB, ServiceProcess, running_service

pytestmark = [pytest.mark.broker, pytest.mark.e2e]

SECRET = "fuzz-client-secret"
TOKEN = "fuzz-alert-token"
KEY = "5f0e3c5a0d8a4c1f9b7e2d6c4a8b1e3f"
ENV = {
    "SENTRY_CLIENT_SECRET": SECRET,
    "ALERT_WEBHOOK_TOKEN": TOKEN,
    "DATADOG_WEBHOOK_TOKEN": TOKEN,
    "ALERTORCH_INTEGRATIONS__DATADOG__ENABLED": "true",
    "INGEST_DSN_KEYS": KEY,
}
BEARER = {"Authorization": f"Bearer {TOKEN}"}
SDK = {"X-Sentry-Auth": f"Sentry sentry_key={KEY}, sentry_version=7"}
RESOURCES = ("issue", "event_alert", "error", "metric_alert", "installation", "")
EXAMPLES = 60  # per group of endpoints
#: Field names the parsers look for, so that generated bodies reach past the first check.
FIELDS = tuple(
    " ".join(
        (
            "title message severity level source service environment tags exception values type",
            "value stacktrace frames module function lineno alerts status labels annotations",
            "startsAt endsAt fingerprint generatorURL data issue event event_id id culprit",
            "logentry params formatted dedup_key timestamp platform contexts extra user release",
            "alert_id alert_transition alert_priority alert_scope org body url web_url metadata",
            "project count firstSeen lastSeen triggered_rule description_text metric_alert",
        )
    ).split(" ")
)

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()
    | st.text(max_size=40)
    | st.sampled_from(["fatal", "error", "warning", "firing", "resolved", "critical", "%s %d"])
)
values = json_values(scalars, FIELDS, max_leaves=40)
bodies = st.one_of(
    values.map(lambda v: json.dumps(v, allow_nan=True).encode()),
    st.dictionaries(st.sampled_from(FIELDS), values, min_size=1, max_size=8).map(
        lambda v: json.dumps(v, allow_nan=True).encode()
    ),
    st.binary(max_size=200),
)

#: Bodies close to what each endpoint takes, with any field replaced or added: they get past the
#: shape checks and reach the normalisers, where the odd values are.
texts = st.text(max_size=60) | st.sampled_from(["", " ", "%s %d %(x)s", "\x00", "😀" * 3])
words = st.text(min_size=1, max_size=60).filter(str.strip) | st.sampled_from(["%s %d", "😀"])
times = texts | st.sampled_from(["2026-12-03T04:00:00Z", "0001-01-01T00:00:00Z", "1e400"])
custom = st.fixed_dictionaries(
    {
        "title": words,
        "severity": st.sampled_from(["low", "high", "critical", "warning"]) | texts,
        "source": words,
    },
    optional={"service": values, "tags": values, "dedup_key": values, "description": values},
)
alertmanager = st.fixed_dictionaries(
    {
        "version": st.just("4"),
        "status": st.sampled_from(["firing", "resolved"]),
        "receiver": words,
        "groupKey": words,
        "alerts": st.lists(
            st.fixed_dictionaries(
                {
                    "status": st.sampled_from(["firing", "resolved"]),
                    "fingerprint": words,
                    "labels": st.dictionaries(
                        st.sampled_from(["alertname", "severity", "service", "env"]) | texts,
                        words,
                        min_size=1,
                        max_size=4,
                    ),
                },
                optional={"annotations": values, "startsAt": times, "endsAt": times},
            ),
            min_size=1,
            max_size=3,
        ),
    },
    optional={"commonLabels": values, "externalURL": words},
)
datadog = st.fixed_dictionaries(
    {"title": words},
    optional={
        "id": values,
        "alert_id": values,
        "alert_transition": st.sampled_from(["Triggered", "Recovered", "Warn", "No Data"]) | texts,
        "alert_priority": texts,
        "tags": values,
        "date": values,
        "org": values,
    },
)
NEAR_VALID = {
    path: shape.map(lambda v: json.dumps(v, allow_nan=True).encode())
    for path, shape in (("alert", custom), ("alertmanager", alertmanager), ("datadog", datadog))
}


def _envelope(body: bytes, item_type: str) -> bytes:
    header = json.dumps({"type": item_type, "length": len(body)}).encode()
    return b'{"event_id": "9ec79c33ec9942ab8353589fcb2e04dc"}\n' + header + b"\n" + body + b"\n"


@pytest.fixture
def ingest(own_broker: str) -> Iterator[ServiceProcess]:
    with running_service("ingest", bootstrap=own_broker, env=ENV) as service:
        yield service


def _published(bootstrap: str) -> int:
    return len(asyncio.run(read_all(bootstrap, ERRORS_RAW)))


def _check(answer: httpx.Response, where: str) -> int:
    """The answer is a 2xx or a 4xx with a reason; returns how many events it says it took."""
    assert answer.status_code < 500, (where, answer.status_code, answer.text)
    payload: Any = answer.json()
    if answer.status_code >= 400:
        assert payload["error"], where
        return 0
    assert isinstance(payload, dict), where
    if "accepted" in payload:  # our webhooks: how many events were published
        return int(payload["accepted"])
    if payload.get("status") == "duplicate":
        return 0
    return 1 if "id" in payload else 0  # Sentry's answer: the id of the event it took


async def test_any_body_on_any_endpoint_is_a_2xx_or_a_precise_4xx_and_publishes_what_it_says(
    own_broker: str, ingest: ServiceProcess
) -> None:
    await asyncio.to_thread(_fuzz, own_broker, ingest)


def _fuzz(bootstrap: str, ingest: ServiceProcess) -> None:
    taken = 0
    with ingest.bounded_growth(150 * MIB), httpx.Client(base_url=ingest.url, timeout=30) as client:

        def post(path: str, content: bytes, headers: dict[str, str], gzipped: bool) -> int:
            if gzipped:
                content = gzip.compress(content)
                headers = {**headers, "Content-Encoding": "gzip"}
            kind = "application/x-sentry-envelope" if "envelope" in path else "application/json"
            headers = {"Content-Type": kind, **headers}
            return _check(client.post(path, content=content, headers=headers), path)

        common = fuzz_settings(EXAMPLES)

        @common
        @given(
            data=st.data(),
            gzipped=st.booleans(),
            path=st.sampled_from(sorted(NEAR_VALID)),
        )
        def bearer_endpoints(data: st.DataObject, gzipped: bool, path: str) -> None:
            nonlocal taken
            body = data.draw(NEAR_VALID[path] | NEAR_VALID[path] | bodies)
            taken += post(f"/webhooks/{path}", body, BEARER, gzipped)

        @common
        @given(body=bodies, gzipped=st.booleans(), resource=st.sampled_from(RESOURCES))
        def sentry_webhook(body: bytes, gzipped: bool, resource: str) -> None:
            nonlocal taken
            # The signature covers the body as sent, before any Content-Encoding.
            content = gzip.compress(body) if gzipped else body
            headers = {"Sentry-Hook-Signature": sign(content, SECRET)}
            if gzipped:
                headers["Content-Encoding"] = "gzip"
            if resource:
                headers["Sentry-Hook-Resource"] = resource
            taken += post("/webhooks/sentry", content, headers, False)

        @common
        @given(
            body=bodies,
            gzipped=st.booleans(),
            item=st.sampled_from(["event", "transaction", "attachment", "session", "x"]),
            wrapped=st.booleans(),
        )
        def sdk(body: bytes, gzipped: bool, item: str, wrapped: bool) -> None:
            nonlocal taken
            if wrapped:
                taken += post("/api/7/envelope/", _envelope(body, item), SDK, gzipped)
            else:
                taken += post("/api/7/store/", body, SDK, gzipped)

        for run in (bearer_endpoints, sentry_webhook, sdk):
            run()
    assert _published(bootstrap) == taken, "published other than what the answers said"
