"""Pattern ids on the analyzer's real store, on both backends: an id survives a restart (with
the Drain snapshot or without it), and two replicas sharing the store agree on a shape's id."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest

from services.analyzer.classify import classify_batch
from services.analyzer.core import Analyzer
from services.analyzer.intake import intake
from services.analyzer.patterns_file import ErrorPattern, load_patterns
from services.analyzer.store import TEMPLATES_BLOB, AnalyzerStore
from services.analyzer.tables import SCHEMA
from services.analyzer.templates import TemplateMiner
from shared.config import Settings, load_settings
from shared.events import ClassifiedError, lift_custom_alert
from shared.kafka.producer import Output
from shared.runner import Consumed
from shared.storage import Database
from shared.topics import ERRORS_RAW
from tests.storage import migrated

PATTERNS = Path(__file__).resolve().parents[2] / "config" / "error_patterns.json"
WALL = 2e9


@functools.cache
def _configuration() -> tuple[Settings, list[ErrorPattern]]:
    return load_settings(), list(load_patterns(PATTERNS))


class Broker:
    """Acknowledges what it is sent."""

    def __init__(self) -> None:
        self.sent: list[Output] = []

    async def publish_many(self, outputs: Sequence[Output]) -> None:
        self.sent.extend(outputs)


class Replica:
    """One analyzer on the shared store, consuming one partition of errors.raw."""

    def __init__(self, database: Database, partition: int, miner: TemplateMiner | None = None):
        self.database = database
        self.partition = partition
        self.offset = 0
        settings, patterns = _configuration()
        self.analyzer = Analyzer(settings=settings, patterns=patterns, miner=miner)
        self.broker = Broker()

    async def ids(self, *titles: str) -> list[str]:
        """Classify ``titles`` as one batch; the pattern id of each."""
        batch = []
        for title in titles:
            event = lift_custom_alert(
                {"title": title, "severity": "high", "source": "auth", "dedup_key": title},
                origin="custom",
                producer="/test",
            )
            message = Consumed(
                ERRORS_RAW,
                self.partition,
                self.offset,
                key=event.data.fingerprint.encode(),
                value=event.to_json_bytes(),
            )
            self.offset += 1
            batch.append((message, intake(message)))
        before = len(self.broker.sent)
        await classify_batch(self.database, self.analyzer, self.broker, batch, wall=WALL)
        return [
            o.event.data.pattern_id or ""
            for o in self.broker.sent[before:]
            if isinstance(o.event, ClassifiedError)
        ]


@pytest.fixture
async def database(storage_url: str) -> AsyncIterator[Database]:
    async with migrated(storage_url, SCHEMA) as db:
        yield db


def _closed(user: str) -> str:
    """A message of one shape whose value is a name in Pascal case (a bare lower-case word
    would be a constant of the shape)."""
    return f"Session of {user.capitalize()}Service closed by peer"


async def test_a_pattern_id_survives_a_restart_with_or_without_the_snapshot(
    database: Database,
) -> None:
    store = AnalyzerStore(database)
    first = Replica(database, 0)
    [alice] = await first.ids(_closed("alice"))
    bob, disk = await first.ids(_closed("bob"), "Disk /dev/sda1 is 93% full")
    assert bob == alice != disk
    await store.save_blob(TEMPLATES_BLOB, first.analyzer.miner.snapshot())

    records = await store.load_patterns()
    assert [r.pattern_id for r in records].count(alice) == 2  # its first and its general template
    restored = TemplateMiner(state=await store.load_blob(TEMPLATES_BLOB), records=records)
    again = Replica(database, 0, restored)
    again.offset = first.offset
    assert await again.ids(_closed("carol")) == [alice]

    forgetful = Replica(database, 0, TemplateMiner(records=await store.load_patterns()))
    forgetful.offset = again.offset
    assert await forgetful.ids(_closed("dave"), _closed("erin")) == [alice, alice]


async def test_replicas_sharing_the_store_agree_on_a_shape(database: Database) -> None:
    a, b = Replica(database, 0), Replica(database, 1)
    [alice] = await a.ids(_closed("alice"))
    # Before a has seen the shape vary, b learns it from another message: a second pattern...
    [bob] = await b.ids(_closed("bob"))
    assert bob != alice
    # ...until either generalises it: the younger pattern is merged into the older one.
    assert await a.ids(_closed("carol")) == [alice]
    assert await b.ids(_closed("dave")) == [alice]
    assert await b.ids(_closed("bob")) == [alice]
    # A replica that starts now adopts the shape's id from its first message on.
    c = Replica(database, 2)
    assert await c.ids(_closed("frank")) == [alice]
