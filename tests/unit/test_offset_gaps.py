"""Which messages of a batch a consumer handles when an offset is missing (shared.runner.gaps)."""

from __future__ import annotations

import asyncio

from aiokafka import TopicPartition

from shared.kafka.consumed import Consumed
from shared.runner.gaps import OffsetGaps


def _batch(*coordinates: tuple[int, int]) -> list[Consumed]:
    return [Consumed("t", partition, offset, None, b"") for partition, offset in coordinates]


def _offsets(messages: list[Consumed]) -> list[tuple[int, int]]:
    return [(m.partition, m.offset) for m in messages]


def test_a_partition_is_cut_at_its_gap_and_the_others_go_on() -> None:
    gaps = OffsetGaps(service="s")
    gaps.admit(_batch((0, 0), (1, 0)))
    admitted = gaps.admit(_batch((0, 1), (0, 3), (0, 4), (1, 1), (1, 2)))
    assert _offsets(admitted.messages) == [(0, 1), (1, 1), (1, 2)]
    assert admitted.refetch == {("t", 0): 2}
    # read again from the gap: the missing record is there this time
    again = gaps.admit(_batch((0, 2), (0, 3), (0, 4)))
    assert _offsets(again.messages) == [(0, 2), (0, 3), (0, 4)]
    assert again.refetch == {}
    # a later gap at the same place is read again too
    gaps.rewound(("t", 0), 2)
    assert gaps.admit(_batch((0, 3))).refetch == {("t", 0): 2}


def test_a_gap_still_there_when_read_again_is_passed_and_a_later_one_is_read_again() -> None:
    gaps = OffsetGaps(service="s")
    gaps.admit(_batch((0, 5)))
    assert gaps.admit(_batch((0, 7))).refetch == {("t", 0): 6}
    passed = gaps.admit(_batch((0, 7), (0, 8), (0, 10)))
    assert _offsets(passed.messages) == [(0, 7), (0, 8)]
    assert passed.refetch == {("t", 0): 9}


def test_the_first_batch_of_a_partition_and_a_rewind_are_taken_as_they_come() -> None:
    gaps = OffsetGaps(service="s")
    assert _offsets(gaps.admit(_batch((0, 40), (0, 41))).messages) == [(0, 40), (0, 41)]
    gaps.rewound(("t", 0), 30)
    assert gaps.admit(_batch((0, 30))).refetch == {}
    assert gaps.admit(_batch((0, 20))).refetch == {}  # redelivered from further back


def test_a_rebalance_forgets_the_partitions_it_moves() -> None:
    gaps = OffsetGaps(service="s")
    gaps.admit(_batch((0, 1), (1, 1)))
    asyncio.run(gaps.on_partitions_revoked({TopicPartition("t", 0)}))
    # another member committed further on while it held partition 0
    assert gaps.admit(_batch((0, 90), (1, 3))).refetch == {("t", 1): 2}
    asyncio.run(gaps.on_partitions_assigned({TopicPartition("t", 1)}))
    assert gaps.admit(_batch((1, 50))).refetch == {}


def test_turned_off_every_message_is_taken() -> None:
    gaps = OffsetGaps(service="s", enabled=False)
    gaps.admit(_batch((0, 1)))
    admitted = gaps.admit(_batch((0, 5)))
    assert (_offsets(admitted.messages), admitted.refetch) == ([(0, 5)], {})
