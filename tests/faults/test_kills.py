"""The analyzer, the resolver and the notifier run as processes on a broker of their own; 2,000
errors of 10 problems arrive at once and each service is SIGKILLed mid-stream in turn, then
started again. Every input is accounted for (classified, with exact counts per problem, and
decided), no Slack root is posted twice and no fix runs twice."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import threading
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from shared.events import ClassifiedError, RawError, lift_custom_alert
from shared.topics import ERRORS_CLASSIFIED, ERRORS_RAW, RESOLUTIONS, topic
from tests.fakes.server import serving
from tests.fakes.slack import FakeSlack
from tests.kafka_helpers import produce_keyed, read_all
from tests.procs import ServiceProcess, running_service

pytestmark = [pytest.mark.broker, pytest.mark.e2e]

REPO = Path(__file__).resolve().parents[2]
PROBLEMS = 10
EVENTS = 2000
STRATEGY = "restart_queue_worker"


@pytest.fixture
def runbook() -> Iterator[tuple[Counter[tuple[str, str]], str]]:
    """A runbook endpoint counting the fixes it is asked for, per problem and attempt."""
    calls: Counter[tuple[str, str]] = Counter()
    lock = threading.Lock()

    async def handle(request: Request) -> JSONResponse:
        body = await request.json()
        with lock:
            calls[(str(body["problem"]), str(body["attempt"]))] += 1
        return JSONResponse({"ok": True}, status_code=202)

    with serving(Starlette(routes=[Route("/restart", handle, methods=["POST"])])) as url:
        yield calls, url


def _config(folder: Path, marker: str, runbook_url: str) -> dict[str, str]:
    """The default configuration plus one pattern bound to a runbook fix."""
    shutil.copytree(REPO / "config", folder)
    path = folder / "error_patterns.json"
    patterns = json.loads(path.read_text())
    patterns["patterns"].insert(
        0,
        {
            "id": f"queue_worker_stuck_{marker}",
            "name": "Queue worker stuck",
            "pattern": rf"\bworker stuck {marker}\b",
            "category": "resource",
            "severity": "high",
            "confidence": 0.95,
            "resolution_strategy": STRATEGY,
        },
    )
    path.write_text(json.dumps(patterns))
    strategy = {
        "executor": "http_action",
        "safety_level": "safe",
        "verify_minutes": 0.02,
        "target": {
            "url": f"{runbook_url}/restart",
            "body": {"problem": "${fingerprint}", "attempt": "${attempt_id}"},
        },
    }
    return {
        "ALERTORCH_CONFIG_DIR": str(folder),
        "ALERTORCH_AUTO_RESOLUTION__STRATEGIES": json.dumps({STRATEGY: strategy}),
        "ALERTORCH_AUTO_RESOLUTION__TICK_SECONDS": "0.2",
        # a fix the kill cut short is failed (never run again) this long after its last renewal
        "ALERTORCH_AUTO_RESOLUTION__EXECUTION_LEASE_SECONDS": "3",
        "ALERTORCH_AUTO_RESOLUTION__SAFETY_SETTINGS__MAX_ACTIONS_PER_HOUR": "100",
        "ALERTORCH_KAFKA__GROUP_PREFIX": f"kills-{marker}",
        "ALERTORCH_KAFKA__BATCH_MAX_RECORDS": "50",
    }


def _errors(marker: str) -> list[RawError]:
    out = []
    for n in range(EVENTS):
        problem = n % PROBLEMS
        alert = {
            "title": f"Queue worker stuck {marker} on shard {problem:02d}",
            "severity": "high",
            "source": f"jobs-{problem:02d}",
            "environment": "staging",
            "dedup_key": f"{marker}-{problem}",
        }
        out.append(lift_custom_alert(alert, origin="custom", producer="/test"))
    return out


Progress = Callable[[], Awaitable[int]]


async def _decoded(bootstrap: str, name: str) -> list[Any]:
    spec = topic(name)
    return [spec.decode(record.value) for record in await read_all(bootstrap, name)]


async def _wait(progress: Progress, at_least: int, seconds: float) -> int:
    """Poll ``progress`` until it reaches ``at_least``; returns what it reached."""
    for _ in range(int(seconds * 4)):
        if (now := await progress()) >= at_least:
            return now
        await asyncio.sleep(0.25)
    raise AssertionError(f"{progress.__name__} did not reach {at_least} within {seconds} s")


# three kills and three restarts of real processes: slower than the suite's default limit
@pytest.mark.timeout(360)
async def test_each_service_killed_mid_stream_loses_nothing_and_repeats_nothing(
    own_broker: str, runbook: tuple[Counter[tuple[str, str]], str], tmp_path: Path
) -> None:
    calls, runbook_url = runbook
    marker = os.urandom(3).hex()
    slack = FakeSlack()
    slack.add_channel("#dev-team", "C0DEVTEAM")
    errors = _errors(marker)
    fingerprints = {e.data.fingerprint for e in errors}
    assert len(fingerprints) == PROBLEMS
    with serving(slack.app()) as slack_url, ExitStack() as stack:
        env = {**_config(tmp_path / "config", marker, runbook_url), **slack.env(slack_url)}

        def start(name: str) -> ServiceProcess:
            return stack.enter_context(running_service(name, bootstrap=own_broker, env=env))

        running = {name: start(name) for name in ("analyzer", "resolver", "notifier")}
        await produce_keyed(
            own_broker, ERRORS_RAW, [(e.subject.encode(), e.to_json_bytes()) for e in errors]
        )

        async def classified() -> int:
            return len({e.id for e in await _decoded(own_broker, ERRORS_CLASSIFIED)})

        async def decided() -> int:
            return len({e.correlationid for e in await _decoded(own_broker, RESOLUTIONS)})

        async def posted() -> int:
            return len({_problem(m.body) for m in slack.roots()})

        stages: list[tuple[str, Progress, int, int]] = [
            ("analyzer", classified, EVENTS // 4, EVENTS),
            ("resolver", decided, EVENTS // 4, EVENTS),
            ("notifier", posted, 1, PROBLEMS),
        ]
        for name, progress, mid, total in stages:
            done = await _wait(progress, mid, 90)
            running[name].stop(signal.SIGKILL)
            assert done < total, f"the {name} had finished before it was killed"
            running[name] = start(name)
        for _, progress, _, total in stages:
            assert await _wait(progress, total, 120) == total
        await asyncio.sleep(3)  # room for a second post or a second fix, if there were one

    outputs = await _decoded(own_broker, ERRORS_CLASSIFIED)
    last: dict[str, int] = {}
    for event in outputs:
        assert isinstance(event, ClassifiedError)
        fp = event.data.fingerprint
        last[fp] = max(last.get(fp, 0), event.data.frequency.last_day)
    assert last == dict.fromkeys(fingerprints, EVENTS // PROBLEMS), "counts are not exact"
    assert calls, "no fix ran"
    assert set(calls.values()) == {1}, f"a fix ran twice: {calls.most_common(3)}"
    roots = Counter((m.channel, _problem(m.body)) for m in slack.roots())
    assert {fp for _, fp in roots} == fingerprints, "a problem was never posted"
    assert set(roots.values()) == {1}, f"a root was posted twice: {roots.most_common(3)}"


def _problem(body: dict[str, Any]) -> str:
    return str(body.get("metadata", {}).get("event_payload", {}).get("fingerprint"))
