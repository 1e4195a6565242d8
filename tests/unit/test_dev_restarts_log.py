"""The supervisor's log read back, as the benchmarks do to say whether a service died during a
run (its figures would not stand for the pipeline)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.pipeline import print_restarts
from services.cli.dev import DIED, restarts


def _line(event: str, service: str) -> str:
    return json.dumps({"event": event, "service": service, "level": "error"})


def test_restarts_counts_each_service_the_supervisor_restarted(tmp_path: Path) -> None:
    log = tmp_path / "services.log"
    log.write_text(
        "\n".join(
            [
                _line("service process started", "analyzer"),
                _line(DIED, "analyzer"),
                "Traceback (most recent call last):",  # a child's own output, not JSON
                _line(DIED, "analyzer"),
                _line(DIED, "notifier"),
                "[1, 2]",
            ]
        ),
        encoding="utf-8",
    )
    assert restarts(log) == {"analyzer": 2, "notifier": 1}


def test_a_run_without_restarts_says_none(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "services.log"
    log.write_text(_line("service process started", "api") + "\n", encoding="utf-8")
    assert print_restarts("restarted", log) == {}
    assert capsys.readouterr().out.split() == ["restarted", "none"]
