"""Broker-level operations: wait until a broker answers, create every topic idempotently."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from dataclasses import dataclass

import structlog
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.client import AIOKafkaClient
from aiokafka.errors import KafkaError, TopicAlreadyExistsError

from shared.errors import BrokerUnavailable
from shared.topics import all_topic_names

log = structlog.get_logger(__name__)


async def wait_for_broker(bootstrap_servers: str, *, timeout: float = 30.0) -> None:
    """Return once the broker answers a metadata request; raise :class:`BrokerUnavailable`."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        client = AIOKafkaClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=5000)
        try:
            await client.bootstrap()
            return
        except (KafkaError, OSError) as exc:
            last_error = exc
        finally:
            await client.close()
        await asyncio.sleep(0.1)
    raise BrokerUnavailable(
        f"no Kafka broker answered at {bootstrap_servers} within {timeout:.0f}s: {last_error}"
    )


@dataclass(frozen=True)
class TopicsResult:
    created: tuple[str, ...]
    existing: tuple[str, ...]


async def ensure_topics(
    bootstrap_servers: str,
    *,
    partitions: int,
    replication_factor: int = 1,
    names: Iterable[str] | None = None,
) -> TopicsResult:
    """Create every registry topic and its ``.dlq`` twin that does not exist yet.

    Idempotent: existing topics are left as they are, and a topic created concurrently by someone
    else counts as existing.
    """
    if partitions < 1:
        raise ValueError("partitions must be at least 1")
    wanted = list(names) if names is not None else all_topic_names()
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=10000)
    await admin.start()
    try:
        present = set(await admin.list_topics())
        missing = [name for name in wanted if name not in present]
        created: list[str] = []
        for name in missing:
            try:
                await admin.create_topics(
                    [
                        NewTopic(
                            name, num_partitions=partitions, replication_factor=replication_factor
                        )
                    ]
                )
                created.append(name)
            except TopicAlreadyExistsError:
                pass
        existing = tuple(name for name in wanted if name not in created)
        log.info("topics ensured", created=created, existing=len(existing), partitions=partitions)
        return TopicsResult(created=tuple(created), existing=existing)
    finally:
        await admin.close()
