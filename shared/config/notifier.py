"""The ``notifier:`` section of ``config.yaml``: how the notifier takes its input and works its
delivery outbox (see docs/delivery.md)."""

from __future__ import annotations

from pydantic import Field

from shared.models import StrictFrozenModel


class NotifierSection(StrictFrozenModel):
    """The notifier service's consumers and delivery worker."""

    batch_gather_ms: int = Field(
        default=100,
        ge=0,
        le=2000,
        description="While resolutions and notifications flow, each of the notifier's "
        "consumers hands over a batch this long after the last, holding what came meanwhile, "
        "so under steady load its fixed cost is paid less often (about half the notifier's "
        "CPU) and a notification leaves up to this much later at each step. A message after a "
        "quiet spell is handed over at once. 0: each batch as soon as a message is there.",
    )

    delivery_concurrency: int = Field(
        default=8,
        ge=1,
        le=256,
        description="Sends in flight at once per notifier replica (each problem's sends to one "
        "target stay in order).",
    )
