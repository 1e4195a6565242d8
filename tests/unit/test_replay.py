"""``alertorch replay``'s pure parts: a history read once, two sides replayed, the comparison.

The small pattern and rules files of :mod:`tests.replay_fixtures` keep each outcome easy to
follow; the settings are the packaged defaults.
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import json
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import TopicPartition

from services.analyzer.classify import PRODUCER
from services.analyzer.intake import Rekey, intake
from services.cli import replay
from services.cli.replay_diff import compare
from services.cli.replay_history import History, Recorded, raw_errors
from services.cli.replay_read import EVERY_PARTITION, ReplayError, _from_offsets
from services.cli.replay_render import render
from services.cli.replay_setup import load_setup
from services.cli.replay_simulate import Setup, simulate
from services.resolver.app import build_strategies
from services.resolver.catalog import CatalogEntry
from services.resolver.decisions import attempt_id_of
from services.resolver.events import resolution
from services.resolver.strategy import ResolutionStrategy
from shared.config import Settings, load_settings
from shared.events import (
    Actor,
    Command,
    CommandData,
    ErrorSummary,
    Notification,
    NotificationData,
    RawError,
    Resolution,
    SafetyLevel,
    Target,
    lift_custom_alert,
)
from shared.kafka.embedded import free_port
from shared.runner import Consumed
from tests.replay_fixtures import DB, PAYMENT, UPSTREAM, write_side

REPO = Path(__file__).resolve().parents[2]
T0 = 1_800_000_000.0
MINUTE = 60.0


@dataclasses.dataclass(frozen=True)
class Kit:
    """What every side shares: the packaged settings (loaded once) and the executors."""

    settings: Settings
    strategies: Mapping[str, ResolutionStrategy]


@pytest.fixture(scope="module")
async def kit() -> AsyncIterator[Kit]:
    settings = load_settings(REPO / "config")
    async with httpx.AsyncClient() as http, httpx.AsyncClient() as github:
        yield Kit(settings, build_strategies(settings, http, github))


def side(
    tmp_path: Path,
    kit: Kit,
    patterns: list[dict[str, Any]],
    *,
    high_level: int = 0,
    level_0_minutes: int = 30,
) -> Setup:
    folder = tmp_path / f"side-{len(list(tmp_path.iterdir()))}"
    write_side(folder, patterns, high_level=high_level, level_0_minutes=level_0_minutes)
    return load_setup(
        REPO / "config",
        kit.strategies,
        patterns=folder / "error_patterns.json",
        rules=folder / "escalation_rules.yaml",
        settings=kit.settings,
    )


def alert(title: str, minutes: float, severity: str = "high") -> Recorded[RawError]:
    body = {"title": title, "severity": severity, "source": "shop", "environment": "production"}
    event = lift_custom_alert(body, origin="custom", producer="/test")
    at = T0 + minutes * MINUTE
    return Recorded(event.model_copy(update={"time": datetime.fromtimestamp(at, UTC)}), at)


def history(*raw: Recorded[RawError], minutes: float = 10, **recorded: Any) -> History:
    return History(
        raw=raw,
        classified=recorded.get("classified", ()),
        resolutions=recorded.get("resolutions", ()),
        notifications=recorded.get("notifications", ()),
        commands=recorded.get("commands", ()),
        start=T0,
        end=T0 + minutes * MINUTE,
    )


def test_a_rekeyed_bare_alert_counts_once_at_its_record_time() -> None:
    bare = json.dumps({"title": "Queue stuck", "severity": "high", "source": "jobs"}).encode()
    original = Consumed("errors.raw", 2, 41, None, bare)
    taken = intake(original)
    assert isinstance(taken, Rekey)
    copy = taken.copy  # what the analyzer publishes back, keyed by fingerprint
    assert copy.data.rekeyed
    rekeyed = Consumed("errors.raw", 0, 7, copy.subject.encode(), copy.to_json_bytes())

    raw, repeats, undecodable = raw_errors(
        [(rekeyed, T0 + 1), (original, T0), (Consumed("errors.raw", 1, 0, None, b"{"), T0)]
    )

    assert [r.event.id for r in raw] == [copy.id]
    assert raw[0].at == T0
    assert raw[0].event.time == datetime.fromtimestamp(T0, UTC)
    assert (repeats, undecodable) == (1, 1)


async def test_the_same_configuration_changes_nothing(tmp_path: Path, kit: Kit) -> None:
    setup = side(tmp_path, kit, [DB, PAYMENT])
    replayed = history(
        alert("Database timeout on orders", 0), alert("Payment provider down", 1), minutes=120
    )
    baseline = simulate(replayed, setup, lambda _: None)
    report = compare(replayed, baseline, simulate(replayed, setup, lambda _: None))
    assert baseline.sent  # something happened
    changes = [report.regrouped, report.recategorised, report.escalations, report.fixes]
    assert changes == [[], [], [], []]
    assert report.notification_changes == []
    assert report.totals.new_pages == report.totals.dropped_notifications == 0


async def test_a_new_pattern_recategorises_a_problem_and_splits_a_group(
    tmp_path: Path, kit: Kit
) -> None:
    replayed = history(
        alert("Payment provider returning 502", 0),
        alert("Shipping provider returning 503", 1),
        alert("Payment provider returning 502", 2),
    )
    before = simulate(replayed, side(tmp_path, kit, [UPSTREAM]), lambda _: None)
    after = simulate(replayed, side(tmp_path, kit, [UPSTREAM, PAYMENT]), lambda _: None)

    report = compare(replayed, before, after)

    [changed] = report.recategorised
    assert changed.title == "Payment provider returning 502"
    assert changed.events == 2
    assert (changed.category.baseline, changed.category.candidate) == ("dependency", "payment")
    assert (changed.severity.baseline, changed.severity.candidate) == ("high", "critical")
    assert changed.matched_pattern.candidate == "payment_gateway"
    [split] = [g for g in report.regrouped if g.by == "pattern"]
    assert (split.change, split.baseline) == ("split", ["upstream_error"])
    assert split.candidate == ["payment_gateway", "upstream_error"]
    assert split.events == 3

    [merged] = [g for g in compare(replayed, after, before).regrouped if g.by == "pattern"]
    assert (merged.change, merged.candidate) == ("merged", ["upstream_error"])


async def test_a_rules_change_adds_a_page_drops_a_notification_and_exceeds_the_budget(
    tmp_path: Path, kit: Kit
) -> None:
    replayed = history(alert("Database timeout on orders", 0))
    before = simulate(replayed, side(tmp_path, kit, [DB]), lambda _: None)
    after = simulate(replayed, side(tmp_path, kit, [DB], high_level=1), lambda _: None)

    report = compare(replayed, before, after, max_new_pages=0, max_dropped=1)

    rows = {
        (n.channel, n.level): (n.baseline, n.candidate, n.added, n.dropped)
        for n in report.notifications
    }
    assert rows == {
        ("slack:#alerts", 0): (1, 0, 0, 1),
        ("slack:#oncall", 1): (0, 1, 1, 0),
        ("pagerduty:oncall", 1): (0, 1, 1, 0),
    }
    assert report.totals.new_pages == 1
    assert {(c.change, c.channel, c.page) for c in report.notification_changes} == {
        ("dropped", "slack:#alerts", False),
        ("added", "slack:#oncall", True),
        ("added", "pagerduty:oncall", True),
    }
    assert [(b.name, b.value, b.exceeded) for b in report.budgets] == [
        ("max_new_pages", 1, True),
        ("max_dropped", 1, False),
    ]
    assert report.exceeded
    assert not compare(replayed, before, after, max_new_pages=1).exceeded
    assert [(e.level, e.change) for e in report.escalations] == [(0, "dropped"), (1, "added")]


async def test_a_shorter_timeout_escalates_earlier_and_an_ack_stops_it_on_both_sides(
    tmp_path: Path, kit: Kit
) -> None:
    replayed = history(alert("Database timeout on orders", 0), minutes=120)
    slow = simulate(replayed, side(tmp_path, kit, [DB]), lambda _: None)
    fast = simulate(replayed, side(tmp_path, kit, [DB], level_0_minutes=10), lambda _: None)

    report = compare(replayed, slow, fast)

    assert [(e.level, e.change, e.seconds) for e in report.escalations] == [
        (1, "earlier", -20 * MINUTE),
        (2, "earlier", -20 * MINUTE),
    ]
    assert [e.change for e in compare(replayed, fast, slow).escalations] == ["later", "later"]

    fp = replayed.raw[0].event.data.fingerprint
    ack = Command(
        source="/test",
        subject=fp,
        correlationid="c",
        data=CommandData(fingerprint=fp, action="ack", actor=Actor(kind="user", id="U1")),
    )
    acked = dataclasses.replace(replayed, commands=(Recorded(ack, T0 + 5 * MINUTE),))
    slow = simulate(acked, side(tmp_path, kit, [DB]), lambda _: None)
    fast = simulate(acked, side(tmp_path, kit, [DB], level_0_minutes=10), lambda _: None)
    assert not compare(acked, slow, fast).escalations
    assert [s.kind for s in fast.sent] == ["new_alert", "update"]  # the ack, told to Slack


def _bound(setup: Setup, auto_approve_up_to: SafetyLevel) -> Setup:
    entry = CatalogEntry(executor="http_action", target={"url": "https://runbooks.example/pool"})
    engine = setup.resolver.engine
    policy = dataclasses.replace(engine.policy, auto_approve_up_to=auto_approve_up_to)
    engine = dataclasses.replace(engine, catalog={"bump_pool": entry}, policy=policy)
    return dataclasses.replace(setup, resolver=dataclasses.replace(setup.resolver, engine=engine))


async def test_a_fix_that_waited_for_approval_would_run(tmp_path: Path, kit: Kit) -> None:
    replayed = history(
        alert("Database timeout on orders", 0), alert("Database timeout on orders", 1)
    )
    setup = side(tmp_path, kit, [DB])
    held = simulate(replayed, _bound(setup, "safe"), lambda _: None)
    runs = simulate(replayed, _bound(setup, "moderate"), lambda _: None)

    [fix] = compare(replayed, held, runs).fixes
    assert fix.change == "run"
    # Waiting for approval holds no slot: each error asks again; a running fix holds one.
    assert fix.baseline == {"awaiting_approval": 2}
    assert fix.candidate == {"auto_resolving": 1, "suppressed": 1}
    assert (fix.strategy.baseline, fix.strategy.candidate) == ("bump_pool", "bump_pool")
    [back] = compare(replayed, runs, held).fixes
    assert back.change == "held"


async def test_the_record_is_shown_beside_and_an_attempts_recorded_course_is_followed(
    tmp_path: Path, kit: Kit
) -> None:
    first = alert("Database timeout on orders", 0)
    replayed = history(first, alert("Database timeout on orders", 3))
    setup = _bound(side(tmp_path, kit, [DB]), "moderate")
    run = simulate(replayed, setup, lambda _: None)
    started = run.decisions[0].event
    attempt = attempt_id_of(run.classified[0].event.id)
    assert (started.data.status, started.data.attempt_id) == ("auto_resolving", attempt)

    def later(status: str, minutes: float) -> Recorded[Resolution]:
        made = resolution(
            cause=attempt,
            correlation_id=first.event.id,
            fingerprint=started.data.fingerprint,
            status=status,  # type: ignore[arg-type]
            summary=started.data.summary,
            attempt_id=attempt,
            strategy="bump_pool",
        )
        return Recorded(made, T0 + minutes * MINUTE)

    told = Notification(
        source="/test",
        subject=started.data.fingerprint,
        correlationid="c",
        data=NotificationData(
            fingerprint=started.data.fingerprint,
            kind="new_alert",
            level=0,
            targets=[Target(type="slack", channel="#alerts")],
            summary=ErrorSummary(title="Database timeout on orders", severity="high"),
        ),
    )
    recorded = dataclasses.replace(
        replayed,
        classified=(Recorded(run.classified[0].event, T0),),
        resolutions=(Recorded(started, T0), later("executing", 1), later("succeeded", 2)),
        notifications=(Recorded(told, T0),),
    )
    followed = simulate(recorded, setup, lambda _: None)
    assert [r.event.data.status for r in followed.resolutions] == [
        "auto_resolving",
        "executing",
        "succeeded",
        "auto_resolving",  # the attempt ended: the second error starts another
    ]
    assert [r.event.data.status for r in run.resolutions] == ["auto_resolving", "suppressed"]

    report = compare(recorded, followed, followed)
    assert (report.totals.recorded_classified, report.totals.baseline_agrees) == (1, 1)
    [alerts] = [n for n in report.notifications if n.channel == "slack:#alerts"]
    assert (alerts.recorded, alerts.baseline) == (1, 4)
    assert [s.kind for s in followed.sent] == [
        "new_alert",
        "resolution_started",
        "resolution_succeeded",
        "update",
    ]
    assert report.totals.notifications.recorded == 1
    assert run.classified[0].event.source == PRODUCER


async def test_the_text_report_marks_what_changes(tmp_path: Path, kit: Kit) -> None:
    replayed = history(alert("Database timeout on orders", 0))
    before = simulate(replayed, side(tmp_path, kit, [DB]), lambda _: None)
    after = simulate(replayed, side(tmp_path, kit, [DB], high_level=1), lambda _: None)

    lines = render(compare(replayed, before, after, max_new_pages=0))

    assert "* level 0  slack:#alerts" in "\n".join(lines)
    assert any(x.startswith("* level 1  pagerduty:oncall") and x.endswith("+1 -0") for x in lines)
    assert lines[-2:] == ["budgets", "  --max-new-pages 0: 1 (EXCEEDED)"]
    opened = datetime.fromtimestamp(T0, UTC).strftime("%Y-%m-%d %H:%M:%S")
    assert any(f"level 1 added (recorded -, baseline -, candidate {opened})" in x for x in lines)


def _replay(*words: str) -> int:
    parser = argparse.ArgumentParser(prog="alertorch")
    replay.add_parsers(parser.add_subparsers())
    args = parser.parse_args(["replay", *words])
    return int(args.run(args))


def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The command sets up logging on stderr: a buffer of the test's own, kept open (as in
    # tests/unit/test_settings.py), so nothing later writes to a closed capture.
    monkeypatch.setattr("sys.stderr", stderr := io.StringIO())

    def said() -> list[str]:
        lines = stderr.getvalue().splitlines()
        stderr.seek(0)
        stderr.truncate()
        return lines

    monkeypatch.setenv("ALERTORCH_CONFIG_DIR", str(REPO / "config"))
    missing = tmp_path / "nope.json"
    assert _replay("--patterns", str(missing)) == 2
    assert said() == [f"error: {missing}: file not found"]

    broken = tmp_path / "broken.json"
    broken.write_text('{"patterns": [\n  {"id": "Bad Id"}\n]}')
    assert _replay("--patterns", str(broken)) == 2
    assert f"error: {broken}:2: pattern Bad Id" in said()[0]

    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", f"127.0.0.1:{free_port()}")
    assert _replay("--broker-timeout", "0.2") == 2
    [line] = said()
    assert line.startswith("error: no Kafka broker answered at 127.0.0.1")

    for words in (
        ["--since", "2026-03-01T12:00:00"],
        ["--from-offset", "x:1"],
        ["--max-dropped", "-1"],
    ):
        with pytest.raises(SystemExit) as exited:
            _replay(*words)
        assert exited.value.code == 2
    assert "give the time zone" in "\n".join(said())


def test_from_offset_reads_every_partition_of_errors_raw_and_no_other() -> None:
    raw = [TopicPartition("errors.raw", p) for p in range(3)]
    other = [TopicPartition("notifications", p) for p in range(6)]  # more partitions
    ends = dict.fromkeys(raw + other, 10)
    firsts = dict.fromkeys(raw + other, 2)
    assert _from_offsets({EVERY_PARTITION: 0}, firsts, ends) == dict.fromkeys(raw, (2, 10))
    assert _from_offsets({1: 5}, firsts, ends) == {raw[1]: (5, 10)}
    with pytest.raises(ReplayError, match=r"errors\.raw has no partition 4"):
        _from_offsets({4: 0}, firsts, ends)
