"""The notifier's own metrics, on the shared registry."""

from __future__ import annotations

from typing import Final

from prometheus_client import Counter

from shared.metrics import REGISTRY

DELIVERIES: Final = Counter(
    "alertorch_notifier_deliveries_total",
    "Delivery calls by target type and outcome (sent, retry, rate_limited, failed).",
    ["target", "outcome"],
    registry=REGISTRY,
)

ESCALATIONS: Final = Counter(
    "alertorch_notifier_escalations_total",
    "Escalation notifications the policy published, by the level escalated to.",
    ["level"],
    registry=REGISTRY,
)
