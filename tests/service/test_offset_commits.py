"""Finished offsets are committed in the background, on the real broker.

The tests hold up or refuse the consumer client's commits (aiokafka's ``commit``) to show what
the runner does meanwhile: the next batch is handled without waiting, what is finished is
committed when the service stops, and a refused commit is counted and passed over.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import CommitFailedError

from shared.kafka.admin import ensure_topics
from shared.metrics import REGISTRY
from tests.kafka_helpers import produce
from tests.runner_helpers import committed, consuming

pytestmark = pytest.mark.broker

SERVICE = "commitstest"


@pytest.fixture(autouse=True)
def broker_env(monkeypatch: pytest.MonkeyPatch, kafka_bootstrap: str) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", kafka_bootstrap)


class Commits:
    """aiokafka's commit, wrapped: each call is recorded; a call may be held until ``release``
    is set, or refused."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[dict[TopicPartition, int]] = []
        self.landed: list[dict[TopicPartition, int]] = []
        self.release = asyncio.Event()
        self.release.set()
        self.refuse = 0
        commit = AIOKafkaConsumer.commit

        async def held(consumer: AIOKafkaConsumer, offsets: Any = None) -> None:
            self.calls.append(dict(offsets or {}))
            await self.release.wait()
            if self.refuse:
                self.refuse -= 1
                raise CommitFailedError("the group rebalanced")
            await commit(consumer, offsets)
            self.landed.append(dict(offsets or {}))

        monkeypatch.setattr(AIOKafkaConsumer, "commit", held)


@pytest.fixture
def commits(monkeypatch: pytest.MonkeyPatch) -> Commits:
    return Commits(monkeypatch)


async def _topic(bootstrap: str) -> str:
    name = f"commits-{os.urandom(4).hex()}"
    await ensure_topics(bootstrap, partitions=1, names=[name])
    return name


async def _until(condition: Any, what: str) -> None:
    for _ in range(300):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"never: {what}")


def _count(topic: str, outcome: str) -> float:
    labels = {"service": SERVICE, "topic": topic, "outcome": outcome}
    return REGISTRY.get_sample_value("alertorch_offset_commits_total", labels) or 0.0


async def test_the_next_batch_is_handled_while_a_commit_is_in_flight(
    kafka_bootstrap: str, commits: Commits
) -> None:
    topic = await _topic(kafka_bootstrap)
    handled: list[int] = []
    async with consuming(SERVICE, topic, handled) as group:
        commits.release.clear()  # the broker does not answer commits for now
        await produce(kafka_bootstrap, topic, [b"%d" % n for n in range(5)])
        await _until(lambda: len(commits.calls) == 1, "a commit was sent")
        await produce(kafka_bootstrap, topic, [b"%d" % n for n in range(5, 10)])
        await _until(lambda: len(handled) == 10, "the later messages were handled")
        assert commits.landed == []  # all handled with the first commit unanswered
        assert len(commits.calls) == 1  # and one commit in flight at a time
        commits.release.set()
        await _until(lambda: commits.landed and commits.landed[-1], "commits landed")
        await _until(
            lambda: list(commits.landed[-1].values()) == [10], "the latest position committed"
        )
        assert await committed(kafka_bootstrap, group, topic) == 10
        # What finished while the first commit waited went in one commit after it.
        assert len(commits.landed) == 2
    assert handled == list(range(10))


async def test_stopping_commits_what_was_finished(kafka_bootstrap: str, commits: Commits) -> None:
    topic = await _topic(kafka_bootstrap)
    handled: list[int] = []

    async def answer_later() -> None:
        await asyncio.sleep(0.5)
        commits.release.set()

    async with consuming(SERVICE, topic, handled) as group:
        commits.release.clear()
        await produce(kafka_bootstrap, topic, [b"%d" % n for n in range(10)])
        await _until(lambda: len(handled) == 10, "every message handled")
        answering = asyncio.ensure_future(answer_later())
        # Stopping now: the commit in flight is waited for before the consumer stops.
    await answering
    assert await committed(kafka_bootstrap, group, topic) == 10


async def test_a_refused_commit_is_counted_and_the_consumer_goes_on(
    kafka_bootstrap: str, commits: Commits
) -> None:
    topic = await _topic(kafka_bootstrap)
    handled: list[int] = []
    commits.refuse = 1
    async with consuming(SERVICE, topic, handled) as group:
        await produce(kafka_bootstrap, topic, [b"%d" % n for n in range(5)])
        await _until(lambda: _count(topic, "failed") == 1, "the refused commit was counted")
        await produce(kafka_bootstrap, topic, [b"%d" % n for n in range(5, 10)])
        await _until(lambda: len(handled) == 10, "the later messages were handled")
        await _until(lambda: _count(topic, "committed") >= 1, "a later commit landed")
        assert await committed(kafka_bootstrap, group, topic) == 10
    assert handled == list(range(10))
