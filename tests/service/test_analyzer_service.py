"""The analyzer as a process on the real broker: classification out, state across restarts,
pattern reload without a restart, bad input dead-lettered."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
from pathlib import Path

import pytest

from shared.events import ClassifiedError, RawError, lift_custom_alert
from shared.topics import ERRORS_CLASSIFIED, ERRORS_RAW, topic
from tests.kafka_helpers import Record, produce, read_until
from tests.procs import running_service

pytestmark = pytest.mark.broker
REPO = Path(__file__).resolve().parents[2]


def _alert(title: str, **fields: object) -> RawError:
    body = {"title": title, "severity": "high", "source": "checkout", **fields}
    return lift_custom_alert(body, origin="custom", producer="/test")


async def _publish(bootstrap: str, *events: RawError) -> None:
    for event in events:
        await produce(
            bootstrap, ERRORS_RAW, [event.to_json_bytes()], key=event.data.fingerprint.encode()
        )


def _classified(record: Record) -> ClassifiedError:
    event = topic(ERRORS_CLASSIFIED).decode(record.value)
    assert isinstance(event, ClassifiedError)
    return event


async def _outputs(bootstrap: str, fingerprint: str, count: int) -> list[ClassifiedError]:
    records = await read_until(
        bootstrap,
        ERRORS_CLASSIFIED,
        lambda r: len(r) >= count,
        match=lambda r: r.key == fingerprint.encode(),
    )
    return [_classified(r) for r in records]


async def test_classifies_each_raw_error_and_keeps_state_across_restarts(
    kafka_bootstrap: str,
) -> None:
    marker = os.urandom(4).hex()
    event = _alert(
        f"psycopg2.OperationalError: connection to db {marker} refused",
        environment="production",
        dedup_key=f"db-{marker}",
    )
    fp = event.data.fingerprint
    with running_service("analyzer", bootstrap=kafka_bootstrap) as service:
        await _publish(kafka_bootstrap, event)
        first = (await _outputs(kafka_bootstrap, fp, 1))[0]
        await _publish(
            kafka_bootstrap,
            _alert("same problem again", dedup_key=f"db-{marker}"),
            _alert("and again", dedup_key=f"db-{marker}"),
        )
        outputs = await _outputs(kafka_bootstrap, fp, 3)
        assert service.stop(signal.SIGTERM) == 0
    assert first.data.fingerprint == fp
    assert first.subject == fp
    assert first.correlationid == event.id  # traced end to end
    assert first.data.error.title == event.data.title
    assert first.data.category == "database"
    assert first.data.trend == "new"
    assert first.data.frequency.last_hour == 1
    assert first.data.template
    assert first.data.pattern_id
    assert 0 <= first.data.impact_score <= 100
    assert sorted(o.data.frequency.last_hour for o in outputs) == [1, 2, 3]

    await _publish(kafka_bootstrap, _alert("after the restart", dedup_key=f"db-{marker}"))
    with running_service("analyzer", bootstrap=kafka_bootstrap):
        outputs = await _outputs(kafka_bootstrap, fp, 4)
    latest = max(outputs, key=lambda o: o.data.frequency.last_hour)
    assert latest.data.frequency.last_hour == 4  # counts survived the restart
    assert latest.data.trend != "new"
    assert len({o.id for o in outputs}) == 4


async def test_pattern_file_is_reloaded_without_a_restart(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    config = tmp_path / "config"
    shutil.copytree(REPO / "config", config)
    env = {
        "ALERTORCH_CONFIG_DIR": str(config),
        "ALERTORCH_ANALYZER__PATTERNS_RELOAD_SECONDS": "0.2",
    }
    marker = os.urandom(4).hex()
    before = _alert(f"flux capacitor {marker} overheated", dedup_key=f"flux-{marker}-1")
    after = _alert(f"flux capacitor {marker} overheated", dedup_key=f"flux-{marker}-2")
    with running_service("analyzer", bootstrap=kafka_bootstrap, env=env):
        await _publish(kafka_bootstrap, before)
        old = (await _outputs(kafka_bootstrap, before.data.fingerprint, 1))[0]
        path = config / "error_patterns.json"
        document = json.loads(path.read_text())
        document["patterns"].append(
            {
                "id": "flux_capacitor",
                "name": "Flux capacitor",
                "pattern": "(?i)flux capacitor",
                "category": "hardware",
                "severity": "critical",
                "confidence": 0.99,
                "resolution_strategy": "replace_capacitor",
            }
        )
        path.write_text(json.dumps(document))
        await asyncio.sleep(1.0)
        await _publish(kafka_bootstrap, after)
        new = (await _outputs(kafka_bootstrap, after.data.fingerprint, 1))[0]
    assert old.data.matched_pattern is None
    assert new.data.matched_pattern == "flux_capacitor"
    assert new.data.category == "hardware"
    assert new.data.resolution_strategy == "replace_capacitor"


async def test_unknown_schema_version_is_dead_lettered(kafka_bootstrap: str) -> None:
    event = _alert(f"future event {os.urandom(4).hex()}")
    body = json.loads(event.to_json_bytes())
    body["schemaversion"] = 2
    value = json.dumps(body).encode()
    with running_service("analyzer", bootstrap=kafka_bootstrap):
        await produce(kafka_bootstrap, ERRORS_RAW, [value], key=event.data.fingerprint.encode())
        dead = await read_until(
            kafka_bootstrap,
            ERRORS_RAW + ".dlq",
            lambda r: len(r) >= 1,
            match=lambda r: r.value == value,
        )
    assert b"unsupported schemaversion 2" in dict(dead[0].headers)["alertorch-error-reason"]


async def test_a_bare_alert_with_a_huge_message_is_classified_with_its_ends_kept(
    kafka_bootstrap: str,
) -> None:
    marker = os.urandom(4).hex()
    trace = "Traceback (most recent call last):\n" + "  File x\n" * 20_000 + f"ValueError {marker}"
    alert = {"title": f"job {marker} crashed", "severity": "high", "source": "cron"}
    await produce(kafka_bootstrap, ERRORS_RAW, [json.dumps({**alert, "message": trace}).encode()])
    with running_service("analyzer", bootstrap=kafka_bootstrap):
        records = await read_until(
            kafka_bootstrap,
            ERRORS_CLASSIFIED,
            lambda r: len(r) >= 1,
            match=lambda r: f"job {marker} crashed".encode() in (r.value or b""),
        )
    message = _classified(records[0]).data.error.message or ""
    assert message.startswith("Traceback (most recent call last):")
    assert message.endswith(f"ValueError {marker}")
    assert "characters cut" in message


def _traceback(frames: list[tuple[str, str]], exception: str) -> str:
    lines = ["Traceback (most recent call last):"]
    for at, (path, function) in enumerate(frames):
        lines += [f'  File "{path}", line {10 + at}, in {function}', f"    {function}(job)"]
    return "\n".join([*lines, exception])


async def test_python_tracebacks_as_titles_group_by_the_exception_raised(
    kafka_bootstrap: str,
) -> None:
    """Bare alerts whose titles are whole Python tracebacks, as a log shipper publishes them:
    the same exception along two call paths is one problem and one pattern; another exception
    is another, though every traceback begins with the same line."""
    source = f"orders-{os.urandom(4).hex()}"
    titles = {
        "worker": _traceback(
            [("/app/worker.py", "run"), ("/app/jobs.py", "settle")],
            "KeyError: 'user_id'",
        ),
        "api": _traceback(
            [("/app/api.py", "post"), ("/app/views.py", "checkout"), ("/app/jobs.py", "settle")],
            "KeyError: 'order_id'",
        ),
        "db": _traceback(
            [("/app/db.py", "connect")],
            "psycopg2.OperationalError: could not connect to server: Connection refused",
        ),
    }
    await produce(
        kafka_bootstrap,
        ERRORS_RAW,
        [
            json.dumps({"title": title, "severity": "high", "source": source}).encode()
            for title in titles.values()
        ],
    )
    with running_service("analyzer", bootstrap=kafka_bootstrap):
        records = await read_until(
            kafka_bootstrap,
            ERRORS_CLASSIFIED,
            lambda r: len(r) >= len(titles),
            match=lambda r: source.encode() in (r.value or b""),
        )
    by_title = {_classified(r).data.error.title: _classified(r).data for r in records}
    worker, api, db = (by_title[title] for title in titles.values())
    assert worker.fingerprint == api.fingerprint != db.fingerprint
    assert worker.pattern_id == api.pattern_id != db.pattern_id
    assert (worker.template, db.template) == (
        "KeyError: <str>",
        "psycopg2.OperationalError: could not connect to server: Connection refused",
    )
