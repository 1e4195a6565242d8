"""What the HTTP routes work with, passed in: the read model's database, the publisher of
commands, the clock and the service's health."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from aiokafka.errors import KafkaError

from services.api.errors import ApiError
from shared.clock import Clock
from shared.kafka.producer import Output, Publisher
from shared.runner.health import HealthState
from shared.storage import Database


@dataclass(frozen=True, kw_only=True)
class Context:
    database: Database
    publisher: Publisher
    clock: Clock
    health: HealthState
    #: Longest wait for the broker to acknowledge a command before answering 503.
    publish_timeout: float = 5.0
    #: The topics read into the read model.
    topics: tuple[str, ...] = ()

    async def publish(self, outputs: Sequence[Output]) -> None:
        """Publish and wait for the broker; 503 (``broker_unavailable``) when it does not
        acknowledge in time."""
        try:
            await asyncio.wait_for(self.publisher.publish_many(outputs), self.publish_timeout)
        except (TimeoutError, KafkaError, OSError, RuntimeError) as exc:
            raise ApiError(
                503, "broker_unavailable", f"not published, try again: {type(exc).__name__}"
            ) from None
