"""The notifier's own metrics, on the shared registry."""

from __future__ import annotations

from typing import Final

from shared.metrics import counter

DELIVERIES: Final = counter(
    "alertorch_notifier_deliveries_total",
    "Delivery calls by target type and outcome (sent, retry, rate_limited, failed).",
    ["target", "outcome"],
)

ESCALATIONS: Final = counter(
    "alertorch_notifier_escalations_total",
    "Escalation notifications the policy published, by the level escalated to.",
    ["level"],
)
