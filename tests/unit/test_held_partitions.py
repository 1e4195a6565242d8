"""Which partition a key goes to, and whether a consumer holds it (shared.runner.held)."""

from __future__ import annotations

from aiokafka import TopicPartition
from aiokafka.partitioner import DefaultPartitioner

from shared.runner.held import Held, home_partition


def test_a_key_goes_where_the_producers_default_partitioner_puts_it() -> None:
    for count in (1, 3, 6, 12):
        partitions = list(range(count))
        for n in range(500):
            key = f"fp-{n:x}"
            expected = DefaultPartitioner()(key.encode(), partitions, partitions)
            assert home_partition(key, count) == expected


class _Consumer:
    def __init__(self, assigned: set[TopicPartition], counts: dict[str, int]) -> None:
        self._assigned, self._counts = assigned, counts

    def assignment(self) -> set[TopicPartition]:
        return set(self._assigned)

    def partitions_for_topic(self, topic: str) -> set[int]:
        return set(range(self._counts[topic]))


def test_home_is_the_keys_partition_only_while_it_is_held() -> None:
    held = Held()
    assert held.home("errors.raw", "abc") is None  # nothing assigned yet
    keys = [f"fp-{n}" for n in range(60)]
    mine = {0, 2, 4}
    held.refresh(_Consumer({TopicPartition("errors.raw", p) for p in mine}, {"errors.raw": 6}))
    for key in keys:
        partition = home_partition(key, 6)
        assert held.home("errors.raw", key) == (partition if partition in mine else None)
    assert held.home("other", "fp-1") is None
    held.refresh(_Consumer(set(), {"errors.raw": 6}))  # revoked
    assert all(held.home("errors.raw", key) is None for key in keys)
