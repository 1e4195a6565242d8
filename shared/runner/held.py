"""The partitions a consumer holds, as of the batch it is handling.

A producer's default partitioner puts a key on ``murmur2(key) % partitions`` of its topic (the
Java client's rule, which aiokafka follows). A handler that would publish a message again under
a key, only to read it back itself, can ask :meth:`Held.home` whether that key's partition is
one this consumer holds, and handle the message at once instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiokafka.partitioner import murmur2


def home_partition(key: str, partitions: int) -> int:
    """The partition a producer's default partitioner gives ``key`` on a topic of
    ``partitions`` partitions."""
    return int(murmur2(key.encode("utf-8")) & 0x7FFFFFFF) % partitions


@dataclass
class Held:
    """Refreshed by the runner before each batch of its subscription is handled."""

    partitions: frozenset[tuple[str, int]] = frozenset()
    counts: dict[str, int] = field(default_factory=dict)

    def refresh(self, consumer: Any) -> None:
        """Take the assignment and the topics' partition counts from an aiokafka consumer."""
        assigned = consumer.assignment()
        self.partitions = frozenset((tp.topic, tp.partition) for tp in assigned)
        for name in {tp.topic for tp in assigned}:
            self.counts[name] = len(consumer.partitions_for_topic(name) or ())

    def home(self, topic: str, key: str) -> int | None:
        """The partition of ``topic`` that ``key`` goes to, if this consumer holds it."""
        count = self.counts.get(topic)
        if not count:
            return None
        partition = home_partition(key, count)
        return partition if (topic, partition) in self.partitions else None
