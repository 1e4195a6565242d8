"""What the fault tests share: a runbook endpoint counting the fixes it is asked for, a
configuration binding one pattern to it, the alerts that match it, reading and waiting on the
broker's topics, what every fault must leave intact (exact counts, each fix and Slack root
once), and the settings and JSON values the fuzz tests run Hypothesis with."""

from __future__ import annotations

import asyncio
import json
import shutil
import threading
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from shared.events import ClassifiedError
from shared.topics import topic
from tests.fakes.server import serving
from tests.fakes.slack import FakeSlack
from tests.kafka_helpers import read_all

REPO = Path(__file__).resolve().parents[2]
STRATEGY = "restart_queue_worker"

#: Fixes asked for, per problem and attempt.
FixCalls = Counter[tuple[str, str]]
Progress = Callable[[], Awaitable[int]]


@contextmanager
def serving_runbook() -> Iterator[tuple[FixCalls, str]]:
    """A runbook endpoint counting the fixes it is asked for; yields the counts and its URL."""
    calls: FixCalls = Counter()
    lock = threading.Lock()

    async def handle(request: Request) -> JSONResponse:
        body = await request.json()
        with lock:
            calls[(str(body["problem"]), str(body["attempt"]))] += 1
        return JSONResponse({"ok": True}, status_code=202)

    with serving(Starlette(routes=[Route("/restart", handle, methods=["POST"])])) as url:
        yield calls, url


def insert_pattern(folder: Path, pattern: dict[str, Any]) -> None:
    """``pattern`` first in the configuration ``folder``'s ``error_patterns.json``, so it wins
    over the default patterns that match the same text."""
    path = folder / "error_patterns.json"
    patterns = json.loads(path.read_text())
    patterns["patterns"].insert(0, pattern)
    path.write_text(json.dumps(patterns))


def fuzz_settings(examples: int) -> settings:
    """Hypothesis's settings for a group of requests to a running service: ``examples`` of them,
    no deadline and no example database (the service, not the data, is under test), and no
    health check failing on slow or large data."""
    return settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


def json_values(
    scalars: st.SearchStrategy[Any], fields: Sequence[str], max_leaves: int
) -> st.SearchStrategy[Any]:
    """Any JSON-like value of ``scalars``, lists and objects nested: objects keyed mostly by
    ``fields`` (the names a parser looks for, so that generated bodies reach past its first
    check)."""
    return st.recursive(
        scalars,
        lambda inner: (
            st.lists(inner, max_size=4)
            | st.dictionaries(st.sampled_from(fields) | st.text(max_size=8), inner, max_size=6)
        ),
        max_leaves=max_leaves,
    )


def fix_config(folder: Path, marker: str, runbook_url: str) -> dict[str, str]:
    """The default configuration in ``folder`` plus one pattern, matching :func:`stuck_worker`,
    bound to a runbook fix; the environment that selects it."""
    shutil.copytree(REPO / "config", folder)
    insert_pattern(
        folder,
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
        # a fix a fault cut short is failed (never run again) this long after its last renewal
        "ALERTORCH_AUTO_RESOLUTION__EXECUTION_LEASE_SECONDS": "3",
        "ALERTORCH_AUTO_RESOLUTION__SAFETY_SETTINGS__MAX_ACTIONS_PER_HOUR": "100",
    }


def numbered_alert(
    title: str, severity: str, source: str, marker: str, problem: int
) -> dict[str, str]:
    """The custom alert (from staging) of problem number ``problem`` of the run ``marker``:
    ``title`` and ``source`` followed by the problem's number, and a dedup key of the run's."""
    return {
        "title": f"{title} {problem:02d}",
        "severity": severity,
        "source": f"{source}-{problem:02d}",
        "environment": "staging",
        "dedup_key": f"{marker}-{source}-{problem}",
    }


def stuck_worker(marker: str, problem: int) -> dict[str, str]:
    """A custom alert of problem number ``problem``, matching the pattern of :func:`fix_config`."""
    return numbered_alert(f"Queue worker stuck {marker} on shard", "high", "jobs", marker, problem)


async def decoded(bootstrap: str, name: str) -> list[Any]:
    """Every event on topic ``name``, decoded."""
    spec = topic(name)
    return [spec.decode(record.value) for record in await read_all(bootstrap, name)]


async def wait_for(progress: Progress, at_least: int, seconds: float) -> int:
    """Poll ``progress`` until it reaches ``at_least``; returns what it reached."""
    now = 0
    for _ in range(int(seconds * 4)):
        if (now := await progress()) >= at_least:
            return now
        await asyncio.sleep(0.25)
    raise AssertionError(
        f"{progress.__name__} did not reach {at_least} within {seconds} s (it reached {now})"
    )


def problem_of(body: dict[str, Any]) -> str:
    """The fingerprint a Slack message was posted for (its metadata)."""
    return str(body.get("metadata", {}).get("event_payload", {}).get("fingerprint"))


def counted(events: Sequence[Any]) -> dict[str, int]:
    """Per problem, the count the analyzer reached (its last classification's), of the
    ``errors.classified`` ``events``."""
    counts: Counter[str] = Counter()
    for event in events:
        assert isinstance(event, ClassifiedError)
        problem = event.data.fingerprint
        counts[problem] = max(counts[problem], event.data.frequency.last_day)
    return dict(counts)


def assert_each_fix_and_root_once(calls: FixCalls, slack: FakeSlack, problems: set[str]) -> None:
    """Fixes ran, none twice; each of ``problems`` has its Slack roots, none posted twice."""
    assert calls, "no fix ran"
    assert set(calls.values()) == {1}, f"a fix ran twice: {calls.most_common(3)}"
    roots = Counter((m.channel, problem_of(m.body)) for m in slack.roots())
    assert {problem for _, problem in roots} == problems, "a problem was never posted"
    assert set(roots.values()) == {1}, f"a root was posted twice: {roots.most_common(3)}"
