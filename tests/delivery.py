"""What the delivery tests check of a target's answer to one send."""

from __future__ import annotations

from services.notifier.delivery.base import DeliveryResult


def failed_for_good(result: DeliveryResult, *words: str) -> None:
    """``result`` is a permanent failure (never retried) whose error says each of ``words``."""
    assert result.permanent, f"not a permanent failure: {result}"
    for word in words:
        assert word in (result.error or ""), f"{word!r} not in the error: {result.error!r}"


def skipped_quietly(result: DeliveryResult, setting: str) -> None:
    """``result`` is a skip, delivered (not an error per notification), whose reason names
    ``setting``: the switch that turns the target off."""
    assert result.delivered, f"not delivered: {result}"
    assert setting in result.details["skipped"], result.details
