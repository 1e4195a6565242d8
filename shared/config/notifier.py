"""The ``notifier:`` section of ``config.yaml``: how the notifier works its delivery outbox
(see docs/delivery.md)."""

from __future__ import annotations

from pydantic import Field

from shared.models import StrictFrozenModel


class NotifierSection(StrictFrozenModel):
    """The notifier service's delivery worker."""

    delivery_concurrency: int = Field(
        default=8,
        ge=1,
        le=256,
        description="Sends in flight at once per notifier replica (each problem's sends to one "
        "target stay in order).",
    )
