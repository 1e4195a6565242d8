"""The library surface users know: ErrorAnalyzer().analyze_error(), analyze_trends(),
get_error_suggestions(), and live reloading of the pattern file."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from services.analyzer import ErrorAnalyzer
from services.analyzer.patterns_file import ErrorPattern, load_patterns
from services.analyzer.reload import PatternsWatcher
from shared.clock import ManualClock

REPO = Path(__file__).resolve().parents[2]


def test_the_seed_example_works() -> None:
    analyzer = ErrorAnalyzer()
    classification = analyzer.analyze_error(
        {
            "id": "error_123",
            "message": "Database connection timeout after 30 seconds",
            "level": "error",
            "environment": "production",
        }
    )
    assert classification.primary_category == "database"
    assert 0.6 <= classification.confidence_score <= 1.0
    assert classification.suggested_actions
    assert classification.trend == "new"
    assert classification.template is not None
    assert classification.template.startswith("Database connection timeout after")


def test_trends_and_suggestions() -> None:
    clock = ManualClock()
    analyzer = ErrorAnalyzer(clock=clock.time)
    error = {"message": "Redis connection refused on cache-3", "level": "error", "project": "web"}
    first = analyzer.analyze_error(error)
    clock.advance(30)
    second = analyzer.analyze_error(error)
    assert first.fingerprint == second.fingerprint
    assert second.last_minute == 2
    report = analyzer.analyze_trends()[first.fingerprint]
    assert report.total == 2
    suggestions = analyzer.get_error_suggestions({"message": "OSError: No space left on device"})
    assert any("disk" in s for s in suggestions)
    assert analyzer.analyze_trends()[first.fingerprint].total == 2  # suggestions record nothing


def test_explicit_fingerprint_groups_different_messages() -> None:
    analyzer = ErrorAnalyzer()
    a = analyzer.analyze_error({"message": "charge failed: card declined", "fingerprint": ["pay"]})
    b = analyzer.analyze_error({"message": "charge failed: bank offline", "fingerprint": ["pay"]})
    assert a.fingerprint == b.fingerprint


def test_error_data_needs_a_message() -> None:
    with pytest.raises(ValueError, match="title"):
        ErrorAnalyzer().analyze_error({"level": "error"})


def test_watcher_applies_a_valid_change_and_keeps_patterns_on_an_invalid_one(
    tmp_path: Path,
) -> None:
    path = tmp_path / "error_patterns.json"
    shutil.copy(REPO / "config" / "error_patterns.json", path)
    applied: list[list[ErrorPattern]] = []
    watcher = PatternsWatcher(path, lambda patterns: applied.append(list(patterns)))
    assert watcher.check() is False
    document = json.loads(path.read_text())
    document["patterns"].append(
        {
            "id": "flux_capacitor",
            "name": "Flux",
            "pattern": "(?i)flux capacitor",
            "category": "hardware",
            "severity": "low",
            "confidence": 0.99,
        }
    )
    path.write_text(json.dumps(document))
    assert watcher.check() is True
    assert applied[-1][-1].id == "flux_capacitor"
    document["patterns"][-1]["pattern"] = "(unclosed"
    path.write_text(json.dumps(document, indent=1))
    assert watcher.check() is False
    assert len(applied) == 1
    assert len(load_patterns(REPO / "config" / "error_patterns.json")) == len(applied[0]) - 1
