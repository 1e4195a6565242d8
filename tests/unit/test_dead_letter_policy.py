from __future__ import annotations

from typing import Any

from shared.clock import ManualClock
from shared.errors import InvalidMessage
from shared.kafka.consumed import Consumed
from shared.kafka.dlq import H_FAILED_AT, DeadLetterPolicy, DlqBudget
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


async def test_a_dead_letter_is_stamped_with_the_policys_clock() -> None:
    sent: list[tuple[str, bytes | None, list[tuple[str, bytes]]]] = []

    class Sender:
        async def send_raw(
            self, topic: str, value: bytes | None, *, key: bytes | None, headers: Any
        ) -> None:
            sent.append((topic, value, list(headers)))

    clock = ManualClock(start=1_800_000_000.0)
    policy = DeadLetterPolicy(
        service="analyzer",
        sender=Sender(),
        max_retries=0,
        backoff_seconds=0.0,
        max_backoff_seconds=0.0,
        budget=DlqBudget(10, clock=clock.time),
        clock=clock,
    )
    record = Consumed(topic="errors.raw", partition=1, offset=9, key=b"k", value=b"{")
    assert await policy.dead_letter(record, InvalidMessage("not JSON"), 1)
    [(topic, value, headers)] = sent
    assert (topic, value) == ("errors.raw.dlq", b"{")
    assert dict(headers)[H_FAILED_AT] == b"2027-01-15T08:00:00+00:00"
