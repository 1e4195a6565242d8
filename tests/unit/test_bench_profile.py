"""The profile's sorting of sampled stacks into kinds of work (bench/profile.py)."""

from __future__ import annotations

import pytest

from bench.profile import COLUMNS, kind_of, per_event, shares

_LOOP = "run (shared/runner/loop.py:28);Runner.run (asyncio/runners.py:118)"


@pytest.mark.parametrize(
    ("stack", "kind"),
    [
        # the innermost frame that has a kind decides, whoever called it
        (f"{_LOOP};handle (services/analyzer/app.py:50);execute (sqlalchemy/engine/base.py:1)",
         "storage"),
        (f"{_LOOP};save (services/analyzer/store.py:9);upsert (shared/storage/sql.py:3)",
         "storage"),
        ("Thread.run (threading.py:9);_connection_worker_thread (aiosqlite/core.py:63)", "storage"),
        (f"{_LOOP};getmany (aiokafka/consumer/consumer.py:1)", "kafka client"),
        (f"{_LOOP};decode (shared/topics.py:4);model_validate (pydantic/main.py:2)", "codec"),
        (f"{_LOOP};handle (services/analyzer/app.py:50);loads (json/__init__.py:3)", "codec"),
        (f"{_LOOP};assess (services/analyzer/core.py:5);sub (re/__init__.py:1)",
         "service's own work"),
        (f"{_LOOP};_run_once (asyncio/base_events.py:1)", "loop and framework"),
        (f"{_LOOP};info (structlog/_native.py:1)", "logs and metrics"),
        ("<module> (<frozen runpy>:88)", "other"),
    ],
)  # fmt: skip
def test_a_stack_counts_for_its_innermost_marked_frame(stack: str, kind: str) -> None:
    assert kind_of(stack) == kind


def test_shares_weigh_each_stack_by_its_samples_and_cost_an_event() -> None:
    raw = (
        f"{_LOOP};execute (sqlalchemy/engine/base.py:1) 3\n"
        f"{_LOOP};getmany (aiokafka/consumer/consumer.py:1) 1\n"
        "not a sample line\n"
    )
    found = shares(raw)
    assert set(found) == set(COLUMNS)
    assert found["storage"] == 0.75
    assert found["kafka client"] == 0.25
    assert found["codec"] == 0.0
    costs = per_event({"analyzer": 400.0}, {"analyzer": found})
    assert costs["analyzer"]["storage"] == 300.0
    assert costs["analyzer"]["kafka client"] == 100.0
    assert shares("") == dict.fromkeys(COLUMNS, 0.0)
