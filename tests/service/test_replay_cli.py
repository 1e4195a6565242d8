"""``alertorch replay``, run as users run it, on a real broker of the test's own.

A small recorded history is published the way the services publish it: a bare custom alert
(with the analyzer's re-keyed copy of it), an error from ingest, the analyzer's classification
of that error and the notification it led to. A candidate pattern file re-categorises the bare
alert's problem (the alert counted once); a candidate rules file pages for both problems and
breaks ``--max-new-pages`` (exit 1). Replay joins no consumer group and publishes nothing. (One
run: the command's start-up is most of its time; bad input is tested in tests/unit.)
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from services.analyzer.classify import PRODUCER
from services.analyzer.core import Analyzer
from services.analyzer.intake import intake
from services.analyzer.patterns_file import load_patterns
from shared.config import load_settings
from shared.events import (
    ClassifiedError,
    ErrorSummary,
    Notification,
    NotificationData,
    Target,
    lift_custom_alert,
)
from shared.kafka.lag import end_offsets, partitions_of
from shared.runner import Consumed
from shared.topics import ERRORS_CLASSIFIED, ERRORS_RAW, NOTIFICATIONS, all_topic_names
from tests.procs import cli
from tests.replay_fixtures import DB, PAYMENT, UPSTREAM, write_side

pytestmark = pytest.mark.broker

REPO = Path(__file__).resolve().parents[2]


async def _publish_history(bootstrap: str, running: Path) -> None:
    """What ingest, the analyzer and the notifier would have left on the topics."""
    now = datetime.now(UTC) - timedelta(minutes=5)
    bare = {"title": "Payment provider returning 502", "severity": "high", "source": "shop"}
    db = lift_custom_alert(
        {"title": "Database timeout on orders", "severity": "high", "source": "shop"},
        origin="custom",
        producer="/alertorch/ingest",
    ).model_copy(update={"time": now})
    analyzer = Analyzer(
        settings=load_settings(running), patterns=load_patterns(running / "error_patterns.json")
    )
    classified = ClassifiedError(
        **ClassifiedError.derive_fields(db, source=PRODUCER, step="classify"),
        data=analyzer.analyze(db.data, now=now.timestamp()).classified,
    )
    told = Notification(
        source="/alertorch/notifier/policy",
        subject=db.subject,
        correlationid=db.id,
        data=NotificationData(
            fingerprint=db.subject,
            kind="new_alert",
            level=0,
            targets=[Target(type="slack", channel="#alerts")],
            summary=ErrorSummary(title=db.data.title, severity=classified.data.severity),
        ),
    )
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        sent = await producer.send_and_wait(ERRORS_RAW, json.dumps(bare).encode())
        original = Consumed(
            ERRORS_RAW, sent.partition, sent.offset, None, json.dumps(bare).encode()
        )
        copy = intake(original).event  # the analyzer publishes it back under its fingerprint
        await producer.send_and_wait(ERRORS_RAW, copy.to_json_bytes(), key=copy.subject.encode())
        await producer.send_and_wait(ERRORS_RAW, db.to_json_bytes(), key=db.subject.encode())
        await producer.send_and_wait(
            ERRORS_CLASSIFIED, classified.to_json_bytes(), key=db.subject.encode()
        )
        await producer.send_and_wait(NOTIFICATIONS, told.to_json_bytes(), key=db.subject.encode())
    finally:
        await producer.stop()


async def _ends(bootstrap: str) -> dict[Any, int]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        return await end_offsets(consumer, await partitions_of(consumer, all_topic_names()))
    finally:
        await consumer.stop()


async def _groups(bootstrap: str) -> list[Any]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        return list(await admin.list_consumer_groups())
    finally:
        await admin.close()


async def _replay(bootstrap: str, running: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"KAFKA_BOOTSTRAP_SERVERS": bootstrap, "ALERTORCH_CONFIG_DIR": str(running)}
    result = await asyncio.to_thread(cli, "replay", "--since", "1h", *args, env=env)
    assert "Traceback" not in result.stderr, result.stderr
    return result


async def test_replay_shows_what_a_candidate_changes_and_touches_nothing(
    own_broker: str, tmp_path: Path
) -> None:
    running = write_side(tmp_path / "running", [DB, UPSTREAM])
    shutil.copy(REPO / "config" / "config.yaml", running / "config.yaml")
    candidate = write_side(tmp_path / "candidate", [DB, UPSTREAM, PAYMENT], high_level=1)
    await _publish_history(own_broker, running)
    before = await _ends(own_broker)

    result = await _replay(
        own_broker,
        running,
        "--patterns",
        str(candidate / "error_patterns.json"),
        "--rules",
        str(candidate / "escalation_rules.yaml"),
        "--max-new-pages",
        "1",
        "--json",
    )
    assert result.returncode == 1, result.stderr  # the budget is exceeded
    report = json.loads(result.stdout)
    totals = report["totals"]
    assert (totals["raw_errors"], totals["repeats_skipped"], totals["problems"]) == (2, 1, 2)
    assert (totals["recorded_classified"], totals["baseline_agrees"]) == (1, 1)
    [changed] = report["recategorised"]
    assert changed["title"] == "Payment provider returning 502"
    assert changed["category"] == {"baseline": "dependency", "candidate": "payment"}
    assert changed["severity"] == {"baseline": "high", "candidate": "critical"}
    rows = {(n["channel"], n["level"]): n for n in report["notifications"]}
    assert rows[("slack:#alerts", 0)] == {
        "channel": "slack:#alerts",
        "level": 0,
        "recorded": 1,
        "baseline": 2,
        "candidate": 0,
        "added": 0,
        "dropped": 2,
    }
    assert rows[("pagerduty:oncall", 1)]["added"] == 2
    assert totals["new_pages"] == 2  # both problems now open at level 1, which pages
    assert report["budgets"] == [
        {"name": "max_new_pages", "limit": 1, "value": 2, "exceeded": True}
    ]
    assert report["exceeded"]

    # The candidate as a whole folder, up to a stated end, with the progress bar asked for.
    shutil.copy(REPO / "config" / "config.yaml", candidate / "config.yaml")
    until = datetime.now(UTC).isoformat()
    again = await _replay(
        own_broker,
        running,
        "--config-dir",
        str(candidate),
        "--until",
        until,
        "--json",
        "--progress",
    )
    assert again.returncode == 0, again.stderr  # no budget stated
    assert json.loads(again.stdout)["recategorised"] == report["recategorised"]
    assert "replaying" in again.stderr  # the bar, on stderr only

    assert await _ends(own_broker) == before  # nothing published
    assert await _groups(own_broker) == []  # no consumer group joined or created
