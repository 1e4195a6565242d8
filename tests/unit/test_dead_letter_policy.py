from __future__ import annotations

from shared.kafka.dlq import Attempts, DlqBudget


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_budget_allows_n_per_sliding_minute() -> None:
    clock = Clock()
    budget = DlqBudget(3, clock=clock)
    assert [budget.try_take() for _ in range(4)] == [True, True, True, False]
    clock.now += 59.0
    assert budget.try_take() is False
    clock.now += 1.5
    assert budget.try_take() is True


def test_attempts_count_per_message_and_stay_bounded() -> None:
    attempts = Attempts(limit=2)
    assert attempts.fail(("t", 0, 1)) == 1
    assert attempts.fail(("t", 0, 1)) == 2
    assert attempts.fail(("t", 0, 2)) == 1
    assert attempts.fail(("t", 0, 3)) == 1  # forgets the oldest (t/0/1)
    assert attempts.fail(("t", 0, 1)) == 1
    attempts.clear(("t", 0, 1))
    assert attempts.fail(("t", 0, 1)) == 1
