from __future__ import annotations

from shared.clock import ManualClock
from shared.kafka.consumed import Consumed
from shared.kafka.dlq import DlqBudget
from shared.runner.batch import rewind_to


def test_budget_allows_n_per_sliding_minute() -> None:
    clock = ManualClock()
    budget = DlqBudget(3, clock=clock.time)
    assert [budget.try_take() for _ in range(4)] == [True, True, True, False]
    clock.advance(59.0)
    assert budget.try_take() is False
    clock.advance(1.5)
    assert budget.try_take() is True


def test_rewind_goes_to_the_first_unfinished_offset_of_each_partition() -> None:
    def at(partition: int, offset: int) -> Consumed:
        return Consumed(topic="t", partition=partition, offset=offset, key=None, value=b"")

    unfinished = [at(0, 7), at(0, 8), at(2, 3), at(2, 4)]
    assert rewind_to(unfinished) == {("t", 0): 7, ("t", 2): 3}
