"""The classification accuracy figures, and the labelled evaluation set they are measured on."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from bench.classification_accuracy import CATEGORIES, load_labelled, score


def test_score_counts_hits_overall_and_per_category() -> None:
    result = score(
        ["network", "network", "memory", "auth"], ["network", "dependency", "memory", "unknown"]
    )
    assert (result.correct, result.messages) == (2, 4)
    assert result.accuracy == pytest.approx(0.5)
    assert result.per_category == {"network": (1, 2), "memory": (1, 1), "auth": (0, 1)}


def test_mismatched_or_empty_input_is_rejected() -> None:
    with pytest.raises(ValueError, match="one each"):
        score(["network"], [])
    with pytest.raises(ValueError, match="no messages"):
        score([], [])


def test_loader_rejects_bad_rows_naming_the_line(tmp_path: Path) -> None:
    good = '{"message": "x", "category": "disk", "system": "go", "split": "tuning", "source": "s"}'
    cases = {
        '{"message": "y", "category": "disk", "system": "go", "split": "tuning"}': "non-empty",
        '{"message": "y", "category": "cpu", "system": "go", "split": "tuning", "source": "s"}': (
            "unknown category"
        ),
        '{"message": "y", "category": "disk", "system": "go", "split": "test", "source": "s"}': (
            "split must be"
        ),
        "[1, 2]": "JSON object",
    }
    path = tmp_path / "eval.jsonl"
    for bad, reason in cases.items():
        path.write_text(f"{good}\n{bad}\n")
        with pytest.raises(ValueError, match=f":2: .*{reason}"):
            load_labelled(path)


def test_the_labelled_set() -> None:
    data = load_labelled()
    messages = Counter(item.message for item in data)
    assert [m for m, n in messages.items() if n > 1] == []
    heldout = [item for item in data if item.split == "heldout"]
    tuning = [item for item in data if item.split == "tuning"]
    assert len(heldout) >= 130
    assert len(tuning) >= 130
    for split in (heldout, tuning):
        assert {item.category for item in split} == set(CATEGORIES)
    systems = {item.system for item in data}
    assert {"python", "jvm", "node", "go", "linux", "kubernetes"} <= systems
