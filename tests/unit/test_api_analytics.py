"""The console's analytics as pure computations on a small known set."""

from __future__ import annotations

from typing import Any

import pytest

from services.api.analytics import (
    Step,
    Window,
    durations,
    escalation_frequency,
    percentile,
    report,
    series,
    strategy_success,
    top,
)
from services.api.projection import Alert

T0 = 1_000_000_000.0


def test_percentiles_are_nearest_rank() -> None:
    values = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0]
    assert percentile(values, 0.5) == 5.0
    assert percentile(values, 0.9) == 9.0
    assert percentile([7.0], 0.9) == 7.0


def test_durations_summarise_and_never_go_negative() -> None:
    assert durations([]) == {"count": 0, "mean": None, "p50": None, "p90": None, "max": None}
    assert durations([30.0, 60.0, -5.0]) == {
        "count": 3,
        "mean": 30.0,
        "p50": 30.0,
        "p90": 60.0,
        "max": 60.0,
    }


def test_success_counts_each_attempt_once_by_its_last_outcome() -> None:
    steps = [
        Step("a1", "restart", "auto_resolving", T0),
        Step("a1", None, "executing", T0 + 1),
        Step("a1", None, "succeeded", T0 + 2),
        Step("a2", "restart", "awaiting_approval", T0),
        Step("a2", None, "failed", T0 + 5),
        Step("a2", None, "rolled_back", T0 + 9),
        Step("a3", "scale_up", "executing", T0),
        Step(None, None, "no_strategy", T0),
    ]
    assert strategy_success(steps) == {
        "restart": {
            "attempts": 2,
            "succeeded": 1,
            "failed": 0,
            "rolled_back": 1,
            "running": 0,
            "success_rate": 0.5,
        },
        "scale_up": {
            "attempts": 1,
            "succeeded": 0,
            "failed": 0,
            "rolled_back": 0,
            "running": 1,
            "success_rate": None,
        },
    }


def _alert(fp: str, **fields: object) -> Alert:
    base: dict[str, object] = {"title": fp, "severity": "high", "first_seen": T0, "last_seen": T0}
    base.update(fields)
    return Alert(fingerprint=fp, **base)  # type: ignore[arg-type]


def test_escalation_frequency_and_top_lists() -> None:
    alerts = [
        _alert("a", escalations=2, category="db", pattern_id="p1", template="t1", occurrences=5),
        _alert("b", category="db", pattern_id="p2", occurrences=1),
        _alert("c", escalations=1, category="net", pattern_id="p1", occurrences=2),
        _alert("d", occurrences=9),
    ]
    assert escalation_frequency(alerts) == {
        "alerts": 4,
        "escalated_alerts": 2,
        "escalations": 3,
        "rate": 0.5,
    }
    assert escalation_frequency([])["rate"] is None
    assert top(alerts, "category") == [
        {"category": "db", "occurrences": 6, "alerts": 2},
        {"category": "net", "occurrences": 2, "alerts": 1},
    ]
    assert top(alerts, "pattern_id")[0] == {
        "pattern_id": "p1",
        "occurrences": 7,
        "alerts": 2,
        "template": "t1",
    }


def test_series_fills_empty_buckets() -> None:
    window = Window(start=T0, end=T0 + 3 * 3600 - 1, bucket=3600)
    assert window.buckets == 3
    assert [b["count"] for b in series(window, {0: 4, 2: 1})] == [4, 0, 1]


def assert_known_set_times(found: dict[str, Any]) -> None:
    """What a report of the known set says of its pace and times, in any one-hour window that
    holds it: 4 events; two alerts told 30 s and 60 s after they opened; one of them
    acknowledged 2 min and resolved 10 min after it opened."""
    assert found["processing"]["events"] == 4
    assert found["processing"]["per_minute"] == pytest.approx(4 / 60)
    assert found["response_time_seconds"] == {
        "count": 2,
        "mean": 45.0,
        "p50": 30.0,
        "p90": 60.0,
        "max": 60.0,
    }
    assert found["mtta_seconds"]["mean"] == 120.0
    assert found["mttr_seconds"]["mean"] == 600.0


def test_report_on_a_known_set() -> None:
    window = Window(start=T0, end=T0 + 3600, bucket=600)
    active = [
        _alert("a", first_notified_at=T0 + 30, acked_at=T0 + 120, resolved_at=T0 + 600),
        _alert("b", first_seen=T0 + 100, first_notified_at=T0 + 160, escalations=1),
        _alert("c", first_seen=T0 + 200),
        _alert("old", first_seen=T0 - 500, first_notified_at=T0 - 400),
    ]
    steps = [Step("a1", "restart", "succeeded", T0 + 300), Step("b1", "restart", "failed", T0)]
    found = report(window, processed={0: 3, 5: 1}, notified={0: 3}, active=active, steps=steps)
    assert_known_set_times(found)
    assert [b["count"] for b in found["processing"]["buckets"]] == [3, 0, 0, 0, 0, 1]
    assert found["escalation"]["rate"] == pytest.approx(1 / 3)
    assert found["resolutions"]["by_strategy"]["restart"]["success_rate"] == 0.5
    assert found["resolutions"]["by_status"] == {"failed": 1, "succeeded": 1}
