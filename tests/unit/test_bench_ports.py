"""The benchmark's ports for ``alertorch dev``: a run of free ones, below the ephemeral range."""

from __future__ import annotations

import random
import socket

import pytest

from bench import pipeline
from bench.pipeline import free_ports


def test_a_run_of_ports_with_one_taken_is_passed_over(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        busy = taken.getsockname()[1]
        first = free_ports(3)
        # the run that holds the busy port comes first, then one that is free
        monkeypatch.setattr(random, "sample", lambda _range, _k: [busy - 1, first])
        assert free_ports(3) == first
    assert first + 3 <= 32768


def test_no_run_free_is_an_error_that_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipeline, "_free", lambda _port: False)
    with pytest.raises(RuntimeError, match="no 3 consecutive free ports"):
        free_ports(3)
