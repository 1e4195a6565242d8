"""How long a runner's consumer gathers a batch (shared.runner.polling)."""

from __future__ import annotations

import pytest

from shared.runner.polling import gathering_left


def test_after_an_ask_that_found_nothing_a_batch_is_handed_over_at_once() -> None:
    assert gathering_left(None, 0.1, now=50.0) == 0.0


def test_without_gathering_a_batch_is_handed_over_at_once() -> None:
    assert gathering_left(49.99, 0.0, now=50.0) == 0.0


def test_while_messages_flow_a_batch_gathers_until_the_time_after_the_last_is_up() -> None:
    assert gathering_left(50.0, 0.1, now=50.03) == pytest.approx(0.07)


def test_a_batch_that_took_longer_to_handle_than_the_gathering_time_is_followed_at_once() -> None:
    assert gathering_left(50.0, 0.1, now=50.25) == 0.0
