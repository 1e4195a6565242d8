"""End to end, as in production: `alertorch dev` runs the broker and every service as its own
process; a custom alert posted to ingest over HTTP is classified, fixed by a runbook call,
verified, and told to people, all over the real broker."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from services.cli.registry import SERVICES
from shared.events import ClassifiedError, Notification, RawError, Resolution
from shared.kafka.embedded import free_port
from shared.topics import AUDIT, ERRORS_CLASSIFIED, ERRORS_RAW, NOTIFICATIONS, RESOLUTIONS, topic
from tests.fakes.server import serving
from tests.kafka_helpers import Record, read_until
from tests.procs import free_port_block, running_dev, wait_http

pytestmark = pytest.mark.e2e
INGEST_FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ingest"


@pytest.fixture
def runbook() -> Iterator[tuple[list[object], str]]:
    calls: list[object] = []
    lock = threading.Lock()

    async def handle(request: Request) -> JSONResponse:
        with lock:
            calls.append(await request.json())
        return JSONResponse({"ok": True}, status_code=202)

    with serving(Starlette(routes=[Route("/restart-psp", handle, methods=["POST"])])) as url:
        yield calls, url


@dataclass
class Stack:
    bootstrap: str
    ingest: str
    process: subprocess.Popen[str]


def _config(folder: Path, runbook_url: str) -> dict[str, str]:
    """A config folder with one pattern bound to a runbook strategy; the env that selects it."""
    folder.mkdir()
    root = Path(__file__).resolve().parents[2] / "config"
    patterns = json.loads((root / "error_patterns.json").read_text())
    patterns["patterns"].insert(
        0,
        {
            "id": "psp_gateway_error",
            "name": "Payment provider gateway error",
            "pattern": r"(?i)\bpayment provider returning 50[234]\b",
            "category": "network",
            "severity": "high",
            "confidence": 0.95,
            "resolution_strategy": "restart_psp_proxy",
        },
    )
    (folder / "error_patterns.json").write_text(json.dumps(patterns))
    for name in ("config.yaml", "escalation_rules.yaml"):
        (folder / name).write_text((root / name).read_text())
    return {
        "ALERTORCH_CONFIG_DIR": str(folder),
        "ALERT_WEBHOOK_TOKEN": "e2e-token",
        "ALERTORCH_AUTO_RESOLUTION__STRATEGIES": json.dumps(
            {
                "restart_psp_proxy": {
                    "executor": "http_action",
                    "safety_level": "safe",
                    "verify_minutes": 0.02,
                    "target": {
                        "url": runbook_url + "/restart-psp",
                        "body": {"problem": "${fingerprint}"},
                    },
                }
            }
        ),
        "ALERTORCH_AUTO_RESOLUTION__TICK_SECONDS": "0.2",
    }


@pytest.fixture
def stack(tmp_path: Path, runbook: tuple[list[object], str]) -> Iterator[Stack]:
    """`alertorch dev` with its embedded broker and every service, stopped with Ctrl-C."""
    broker_port, base = free_port(), free_port_block(len(SERVICES))
    env = _config(tmp_path / "config", runbook[1])
    with (
        (tmp_path / "dev.log").open("w") as log,
        running_dev(broker_port=broker_port, base_port=base, stderr=log, env=env) as process,
    ):
        for port in range(base, base + len(SERVICES)):
            wait_http(f"http://127.0.0.1:{port}/readyz", timeout=60)
        yield Stack(f"127.0.0.1:{broker_port}", f"http://127.0.0.1:{base}", process)
        process.send_signal(signal.SIGINT)
        assert process.wait(60) == 0


async def test_custom_alert_flows_from_ingest_to_a_verified_fix_and_a_notification(
    stack: Stack, runbook: tuple[list[object], str]
) -> None:
    calls = runbook[0]
    bootstrap = stack.bootstrap
    async with httpx.AsyncClient(timeout=10) as client:
        answer = await client.post(
            f"{stack.ingest}/webhooks/alert",
            headers={"Authorization": "Bearer e2e-token"},
            json={
                "title": "Payment provider returning 502",
                "severity": "high",
                "source": "billing",
                "environment": "production",
                "dedup_key": "psp",
            },
        )
    assert answer.status_code == 202, answer.text
    fingerprint = answer.json()["fingerprint"]
    key = fingerprint.encode()
    raw = await read_until(
        bootstrap, ERRORS_RAW, lambda r: len(r) >= 1, match=lambda r: r.key == key
    )
    raw_event = topic(ERRORS_RAW).decode(raw[0].value, coordinates="x", producer="/t")
    assert isinstance(raw_event, RawError)
    classified = await read_until(
        bootstrap, ERRORS_CLASSIFIED, lambda r: len(r) >= 1, match=lambda r: r.key == key
    )
    classified_event = topic(ERRORS_CLASSIFIED).decode(classified[0].value)
    assert isinstance(classified_event, ClassifiedError)
    assert classified_event.data.matched_pattern == "psp_gateway_error"
    assert classified_event.correlationid == raw_event.correlationid
    records = await read_until(
        bootstrap,
        RESOLUTIONS,
        lambda found: any(b'"status":"succeeded"' in (r.value or b"") for r in found),
        match=lambda r: r.key == key,
        timeout=60,
    )
    statuses = [
        e.data.status
        for e in (topic(RESOLUTIONS).decode(r.value) for r in records)
        if isinstance(e, Resolution)
    ]
    assert statuses == ["auto_resolving", "executing", "verifying", "succeeded"]
    assert calls == [{"problem": fingerprint}]
    # The notifier tells people: without Slack credentials, on the console inbox.
    told = await read_until(
        bootstrap, NOTIFICATIONS, lambda r: len(r) >= 1, match=lambda r: r.key == key
    )
    notification = topic(NOTIFICATIONS).decode(told[0].value)
    assert isinstance(notification, Notification)
    assert notification.correlationid == raw_event.correlationid  # one trace, end to end
    delivered = await read_until(
        bootstrap,
        AUDIT,
        lambda found: any(
            b'"outcome":"succeeded"' in (r.value or b"") and b"notify:" in (r.value or b"")
            for r in found
        ),
        match=lambda r: r.key == key,
    )
    assert delivered


async def test_a_problem_the_source_resolves_is_closed_without_another_fix(
    stack: Stack, runbook: tuple[list[object], str]
) -> None:
    """Alertmanager fires two alerts, then says both resolved: the resolved signals run nothing,
    and the people told about the open problem hear that the source resolved it."""
    marker = os.urandom(4).hex()
    fixture = INGEST_FIXTURES / "alertmanager_webhook_v4_resolved_single.zulip.json"
    resolved = json.loads(fixture.read_text())
    [alert] = resolved["alerts"]
    fixed, unfixed = json.loads(json.dumps(alert)), alert
    fixed["fingerprint"], unfixed["fingerprint"] = f"psp-{marker}", f"cpu-{marker}"
    fixed["annotations"]["summary"] = f"Payment provider returning 502 {marker}"
    unfixed["annotations"]["summary"] = f"High CPU core temperature {marker}"
    resolved["alerts"] = [fixed, unfixed]
    firing = json.loads(json.dumps(resolved))
    firing["status"] = "firing"
    for each in firing["alerts"]:
        each["status"] = "firing"

    async def post(body: object) -> None:
        async with httpx.AsyncClient(timeout=10) as client:
            answer = await client.post(
                f"{stack.ingest}/webhooks/alertmanager",
                headers={"Authorization": "Bearer e2e-token"},
                json=body,
            )
        assert answer.status_code == 202, answer.text

    def about(word: str) -> Callable[[Record], bool]:
        return lambda r: f"{word} {marker}".encode() in (r.value or b"")

    async def statuses(word: str, last: bytes) -> list[str]:
        records = await read_until(
            stack.bootstrap,
            RESOLUTIONS,
            lambda found: any(last in (r.value or b"") for r in found),
            match=about(word),
            timeout=60,
        )
        events = (topic(RESOLUTIONS).decode(r.value) for r in records)
        return [e.data.status for e in events if isinstance(e, Resolution)]

    await post(firing)
    assert await statuses("502", b'"succeeded"') == [
        "auto_resolving",
        "executing",
        "verifying",
        "succeeded",
    ]
    await post(resolved)
    assert (await statuses("502", b'"resolved_by_source"'))[-1] == "resolved_by_source"
    assert await statuses("temperature", b'"resolved_by_source"') == [
        "no_strategy",
        "resolved_by_source",
    ]
    assert len(runbook[0]) == 1  # the fix ran for the firing alert only
    told = await read_until(
        stack.bootstrap,
        NOTIFICATIONS,
        lambda found: any(b'"kind":"resolved"' in (r.value or b"") for r in found),
        match=about("temperature"),
        timeout=30,
    )
    notifications = (topic(NOTIFICATIONS).decode(r.value) for r in told)
    kinds = [(e.data.kind, e.data.text) for e in notifications if isinstance(e, Notification)]
    assert kinds[0][0] == "new_alert"
    assert kinds[-1] == ("resolved", "resolved by source")
