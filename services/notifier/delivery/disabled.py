"""The answer of an integration switched off in the settings."""

from __future__ import annotations

from services.notifier.delivery.base import DeliveryResult


def disabled(name: str, section: str) -> DeliveryResult:
    """Skipped, not failed (there is nothing to retry): ``integrations.<section>.enabled`` is
    false, so ``name`` is sent nothing."""
    return DeliveryResult.ok(None, skipped=f"{name} is disabled (integrations.{section}.enabled)")
