"""Two resolver replicas in one consumer group on shared PostgreSQL state, fixing through a fake
Kubernetes API; one replica is SIGKILLed mid-stream. Every classified error gets exactly one
decision, no fix runs twice, and the concurrency cap holds across both replicas."""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

import pytest

from shared.events import ClassifiedError, Resolution, derived_event_id, new_event_id
from shared.topics import ERRORS_CLASSIFIED, RESOLUTIONS, topic
from tests.fakes.kubernetes import FakeKubernetes
from tests.fakes.server import serving
from tests.kafka_helpers import kill_mid_stream, read_all, read_until
from tests.procs import two_replicas
from tests.resolver_helpers import classified_body

pytestmark = pytest.mark.broker

EVENTS = 2000
PROBLEMS = 40
CAP = 3
RESTRICTIONS = "ALERTORCH_AUTO_RESOLUTION__SAFETY_SETTINGS__PRODUCTION_RESTRICTIONS__"
DECISIONS = ("no_strategy", "suppressed", "skipped", "resolved_by_source")


def _classified(strategy: str, fingerprint: str) -> ClassifiedError:
    body = classified_body()
    body["id"] = body["correlationid"] = new_event_id()
    body["subject"] = body["data"]["fingerprint"] = fingerprint
    body["data"]["error"]["fingerprint"] = fingerprint
    body["data"]["resolution_strategy"] = strategy
    event = topic(ERRORS_CLASSIFIED).decode(json.dumps(body).encode())
    assert isinstance(event, ClassifiedError)
    return event


async def test_two_replicas_decide_once_run_once_and_share_the_cap(
    own_broker: str, postgres_url: str, tmp_path: Path
) -> None:
    marker = os.urandom(4).hex()
    strategy = f"restart_web_{marker}"
    kube = FakeKubernetes()
    kube.add_deployment("prod", "web")
    kube.patch_delay = 0.5  # long enough for executions on both replicas to overlap
    fingerprints = [f"{marker}{n:04d}" for n in range(PROBLEMS)]
    events = [_classified(strategy, fingerprints[n % PROBLEMS]) for n in range(EVENTS)]
    with serving(kube.app()) as url:
        env = {
            "ALERTORCH_STORAGE__URL": postgres_url,
            "ALERTORCH_KAFKA__GROUP_PREFIX": f"resolver-replicas-{marker}",
            "ALERTORCH_KAFKA__BATCH_MAX_RECORDS": "20",  # many transactions: room to kill
            "ALERTORCH_AUTO_RESOLUTION__KUBECONFIG": str(kube.kubeconfig(tmp_path / "k", url)),
            "ALERTORCH_AUTO_RESOLUTION__STRATEGIES": json.dumps(
                {
                    strategy: {
                        "executor": "restart_service",
                        "target": {"namespace": "prod", "deployment": "web"},
                        "max_per_hour": 10_000,
                        "verify_minutes": 0.01,
                    }
                }
            ),
            "ALERTORCH_AUTO_RESOLUTION__TICK_SECONDS": "0.2",
            "ALERTORCH_AUTO_RESOLUTION__EXECUTION_LEASE_SECONDS": "2",
            "ALERTORCH_AUTO_RESOLUTION__SAFETY_SETTINGS__MAX_ACTIONS_PER_HOUR": "10000",
            f"{RESTRICTIONS}MAX_SERVICE_RESTARTS": "10000",
            "ALERTORCH_OPERATION__AUTO_APPROVE_UP_TO": "moderate",
            "ALERTORCH_OPERATION__MAX_CONCURRENT_RESOLUTIONS": str(CAP),
        }
        mine = lambda r: r.key is not None and r.key.decode().startswith(marker)  # noqa: E731
        with two_replicas("resolver", bootstrap=own_broker, env=env) as first:
            keyed = [(e.subject.encode(), e.to_json_bytes()) for e in events]
            await kill_mid_stream(
                first,
                own_broker,
                ERRORS_CLASSIFIED,
                keyed,
                outputs=RESOLUTIONS,
                kill_at=300,
                match=mine,
            )
            await read_until(
                own_broker,
                RESOLUTIONS,
                lambda r: _decided(events, r) >= EVENTS and _settled(r),
                match=mine,
                timeout=180,
            )
        records = await read_all(own_broker, RESOLUTIONS, match=mine)
    resolutions = _resolutions(records)
    ids = {r.id for r in resolutions}
    per_event = Counter(
        sum(derived_event_id(e.id, "resolution", s) in ids for s in (*DECISIONS, "auto_resolving"))
        + (("att_" + derived_event_id(e.id, "attempt")) in _attempts(resolutions))
        for e in events
    )
    assert per_event == {1: EVENTS}  # exactly one decision per classified error
    executing = {r.data.attempt_id for r in resolutions if r.data.status == "executing"}
    interrupted = {
        r.data.attempt_id
        for r in resolutions
        if r.data.status == "failed" and "interrupted" in r.data.reason
    }
    patches = len(kube.patches)
    assert len(executing) - len(interrupted) <= patches <= len(executing)  # none ran twice
    assert 2 <= kube.max_in_flight <= CAP
    assert any(r.data.gate == "concurrency_cap" for r in resolutions)


def _resolutions(records: list) -> list[Resolution]:  # type: ignore[type-arg]
    events = [topic(RESOLUTIONS).decode(r.value) for r in records]
    return [e for e in events if isinstance(e, Resolution)]


def _attempts(resolutions: list[Resolution]) -> set[str]:
    return {
        r.data.attempt_id
        for r in resolutions
        if r.data.status == "auto_resolving" and r.data.attempt_id is not None
    }


def _decided(events: list[ClassifiedError], records: list) -> int:  # type: ignore[type-arg]
    resolutions = _resolutions(records)
    ids = {r.id for r in resolutions}
    attempts = _attempts(resolutions)
    return sum(
        any(derived_event_id(e.id, "resolution", s) in ids for s in DECISIONS)
        or ("att_" + derived_event_id(e.id, "attempt")) in attempts
        for e in events
    )


def _settled(records: list) -> bool:  # type: ignore[type-arg]
    """Every attempt that started has an outcome."""
    last: dict[str, str] = {}
    for r in _resolutions(records):
        if r.data.attempt_id:
            last[r.data.attempt_id] = r.data.status
    return all(s in ("succeeded", "failed", "rolled_back") for s in last.values())
