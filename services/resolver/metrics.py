"""The resolver's own metrics, on the shared registry."""

from __future__ import annotations

import collections
from collections.abc import Iterable
from typing import Final

from shared.events import Resolution
from shared.kafka.producer import Output
from shared.metrics import counter

RESOLUTIONS: Final = counter(
    "alertorch_resolver_resolutions_total",
    "Decisions and state changes published on resolutions, by status and strategy.",
    ["status", "strategy"],
)


def count_published(outputs: Iterable[Output]) -> None:
    counted = collections.Counter(
        (output.event.data.status, output.event.data.strategy or "")
        for output in outputs
        if isinstance(output.event, Resolution)
    )
    for (status, strategy), count in counted.items():
        RESOLUTIONS.labels(status, strategy).inc(count)
