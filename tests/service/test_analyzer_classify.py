"""A batch of errors.raw classified on the analyzer's real store, on both backends: what a
failed or interrupted publish leaves is sent by the retry as it was first counted, each
occurrence counted once; a burst of related problems is one incident."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest

from services.analyzer.classify import classify_batch
from services.analyzer.core import Analyzer
from services.analyzer.incidents import incident_id
from services.analyzer.intake import Accept, Rekey, intake
from services.analyzer.patterns_file import load_patterns
from services.analyzer.store import AnalyzerStore
from services.analyzer.tables import SCHEMA
from shared.config import load_settings
from shared.events import (
    ClassifiedError,
    ClassifiedErrorData,
    RawError,
    derived_event_id,
    lift_custom_alert,
)
from shared.kafka.producer import Output
from shared.runner import Consumed
from shared.storage import Database
from shared.topics import ERRORS_CLASSIFIED, ERRORS_RAW
from tests.storage import migrated

PATTERNS = Path(__file__).resolve().parents[2] / "config" / "error_patterns.json"


class Killed(Exception):
    """The process died."""


class Broker:
    """Acknowledges what it is sent, or refuses the next ``failures`` sends; with ``crash``,
    acknowledges the next send and then fails, as a process killed right after its send."""

    def __init__(self) -> None:
        self.failures = 0
        self.crash = False
        self.refused_topic: str | None = None
        self.sent: list[Output] = []

    async def publish_many(self, outputs: Sequence[Output]) -> None:
        if self.crash:
            self.crash = False
            self.sent.extend(outputs)
            raise Killed("killed after the broker had the outputs")
        if self.failures:
            self.failures -= 1
            raise ConnectionError("broker unavailable")
        if self.refused_topic in {o.topic for o in outputs}:
            self.refused_topic = None
            raise ConnectionError("broker unavailable")
        self.sent.extend(outputs)

    def classified(self) -> list[ClassifiedErrorData]:
        """The data of every classified error sent, in order."""
        return [o.event.data for o in self.sent if isinstance(o.event, ClassifiedError)]


@pytest.fixture
async def database(storage_url: str) -> AsyncIterator[Database]:
    async with migrated(storage_url, SCHEMA) as db:
        yield db


def _batch(first_offset: int, count: int) -> list[Consumed]:
    messages = []
    for n in range(count):
        event = lift_custom_alert(
            {
                "title": "Queue stalled on worker-7",
                "severity": "high",
                "source": "jobs",
                "dedup_key": "stall-7",
            },
            origin="custom",
            producer="/test",
        )
        key = event.data.fingerprint.encode()
        messages.append(
            Consumed(ERRORS_RAW, 0, first_offset + n, key=key, value=event.to_json_bytes())
        )
    return messages


def _with_bare(alert: dict[str, str]) -> tuple[RawError, list[tuple[Consumed, Rekey | Accept]]]:
    """Two keyed occurrences of :func:`_batch`'s problem, then ``alert`` bare on another
    partition: the bare alert, and the batch as intake takes it."""
    bare = lift_custom_alert(alert, origin="custom", producer="/test")
    batch = [*_batch(0, 2), Consumed(ERRORS_RAW, 1, 0, key=None, value=bare.to_json_bytes())]
    return bare, [(m, intake(m)) for m in batch]


def _with_bare_of_the_same_problem() -> tuple[RawError, list[tuple[Consumed, Rekey | Accept]]]:
    """:func:`_with_bare` with a bare occurrence of :func:`_batch`'s problem."""
    alert = {"title": "Queue stalled on worker-7", "severity": "high", "source": "jobs"}
    return _with_bare({**alert, "dedup_key": "stall-7"})


async def test_a_failed_publish_is_sent_by_its_retry_and_each_occurrence_counts_once(
    database: Database,
) -> None:
    analyzer = Analyzer(settings=load_settings(), patterns=load_patterns(PATTERNS))
    broker = Broker()
    first = [(m, intake(m)) for m in _batch(0, 3)]
    broker.failures = 1
    with pytest.raises(ConnectionError):
        await classify_batch(database, analyzer, broker, first, wall=2e9)
    assert broker.sent == []
    counted = await classify_batch(database, analyzer, broker, first, wall=2e9)  # the retry
    assert (counted.classified, counted.already_counted, counted.resent) == (0, 3, 3)
    again = await classify_batch(database, analyzer, broker, first, wall=2e9)  # redelivered
    assert (again.classified, again.already_counted, again.resent) == (0, 3, 0)
    later = [(m, intake(m)) for m in _batch(3, 1)]
    await classify_batch(database, analyzer, broker, later, wall=2e9)
    assert [d.frequency.last_day for d in broker.classified()] == [1, 2, 3, 4]


async def test_a_classification_not_yet_sent_outlives_the_duplicate_window(
    database: Database,
) -> None:
    analyzer = Analyzer(settings=load_settings(), patterns=load_patterns(PATTERNS))
    broker = Broker()
    batch = [(m, intake(m)) for m in _batch(0, 2)]
    broker.failures = 1
    with pytest.raises(ConnectionError):
        await classify_batch(database, analyzer, broker, batch, wall=2e9)
    await AnalyzerStore(database).forget_counted(3e9)  # the window long past
    retried = await classify_batch(database, analyzer, broker, batch, wall=2e9)
    assert (retried.classified, retried.resent) == (0, 2)
    await classify_batch(
        database, analyzer, broker, [(m, intake(m)) for m in _batch(2, 1)], wall=2e9
    )
    await AnalyzerStore(database).forget_counted(3e9)  # now sent: dropped
    again = await classify_batch(database, analyzer, broker, batch, wall=2e9)
    assert (again.classified, again.resent) == (0, 0)
    assert [d.frequency.last_day for d in broker.classified()] == [1, 2, 3]


async def test_a_refused_re_keyed_copy_fails_the_batch_and_its_retry_counts_nothing_twice(
    database: Database,
) -> None:
    # Re-keyed copies go out before the batch is classified; one refused fails the batch after
    # its classifications were counted and published: the retry sends the copy again and
    # counts nothing a second time.
    analyzer = Analyzer(settings=load_settings(), patterns=load_patterns(PATTERNS))
    broker = Broker()
    bare, items = _with_bare({"title": "Disk full on db-2", "severity": "high", "source": "jobs"})
    broker.refused_topic = ERRORS_RAW
    with pytest.raises(ConnectionError):
        await classify_batch(database, analyzer, broker, items, wall=2e9)
    retried = await classify_batch(database, analyzer, broker, items, wall=2e9)
    assert (retried.classified, retried.rekeyed, retried.already_counted) == (0, 1, 2)
    assert [o.event.id for o in broker.sent if o.topic == ERRORS_RAW] == [bare.id]
    assert [d.frequency.last_day for d in broker.classified()] == [1, 2]


async def test_a_bare_alert_whose_partition_this_consumer_holds_is_classified_at_once(
    database: Database,
) -> None:
    # No trip through errors.raw: classified in its batch with the keyed occurrences of its
    # fingerprint, counted once, and a redelivery counts nothing twice.
    analyzer = Analyzer(settings=load_settings(), patterns=load_patterns(PATTERNS))
    broker = Broker()
    bare, items = _with_bare_of_the_same_problem()
    asked: list[tuple[str, str]] = []

    def home(name: str, key: str) -> int:
        asked.append((name, key))
        return 0

    counted = await classify_batch(database, analyzer, broker, items, wall=2e9, home=home)
    assert (counted.classified, counted.rekeyed) == (3, 0)
    assert asked == [(ERRORS_RAW, bare.data.fingerprint)]
    assert [o.topic for o in broker.sent] == [ERRORS_CLASSIFIED] * 3
    assert [d.frequency.last_day for d in broker.classified()] == [1, 2, 3]
    assert {d.fingerprint for d in broker.classified()} == {bare.data.fingerprint}
    assert broker.classified()[-1].error.rekeyed is False
    again = await classify_batch(database, analyzer, broker, items, wall=2e9, home=home)
    assert (again.classified, again.already_counted) == (0, 3)


async def test_a_classification_sent_before_a_crash_is_the_one_its_redelivery_sends(
    database: Database,
) -> None:
    # A bare alert taken at once (its fingerprint's partition is 0, it came on 1) is sent, and
    # the process dies before its batch ends. Occurrences of its fingerprint on partition 0 are
    # counted before partition 1 is redelivered: the redelivery sends the bare alert's
    # classification as first sent (one count per occurrence, whatever the order of the two
    # partitions), never a second count of it.
    analyzer = Analyzer(settings=load_settings(), patterns=load_patterns(PATTERNS))
    broker = Broker()
    bare, items = _with_bare_of_the_same_problem()
    [(keyed_1, _), (keyed_2, _), on_partition_1] = items
    broker.crash = True
    with pytest.raises(Killed):
        await classify_batch(database, analyzer, broker, [on_partition_1], wall=2e9, home=_zero)
    keyed = [(m, intake(m)) for m in (keyed_1, keyed_2)]
    assert (await classify_batch(database, analyzer, broker, keyed, wall=2e9)).classified == 2
    again = await classify_batch(database, analyzer, broker, [on_partition_1], wall=2e9, home=_zero)
    assert (again.classified, again.resent) == (0, 1)
    counts = [(o.event.id, o.event.data.frequency.last_day) for o in broker.sent]
    classification_of_bare = derived_event_id(bare.id, ClassifiedError.event_type, "classify")
    assert counts[0] == counts[-1] == (classification_of_bare, 1)
    assert sorted(day for _, day in set(counts)) == [1, 2, 3]


def _zero(_topic: str, _key: str) -> int:
    """Every fingerprint's partition is 0, held by this consumer."""
    return 0


async def test_a_new_owner_continues_the_count_and_the_old_one_cannot_count_again(
    database: Database,
) -> None:
    settings, patterns = load_settings(), load_patterns(PATTERNS)
    old_owner = Analyzer(settings=settings, patterns=patterns)
    new_owner = Analyzer(settings=settings, patterns=patterns)
    broker = Broker()
    await classify_batch(
        database, old_owner, broker, [(m, intake(m)) for m in _batch(0, 2)], wall=2e9
    )
    # A rebalance: the partition moves on; the new owner reads on from the committed offset...
    moved = [(m, intake(m)) for m in _batch(2, 2)]
    assert (await classify_batch(database, new_owner, broker, moved, wall=2e9)).classified == 2
    # ...while the old owner, not yet told, handles the same messages: they are counted already.
    # (The new owner marks them sent with its next batch: until then they are sent again as
    # first written, same ids and content.)
    stale = await classify_batch(database, old_owner, broker, moved, wall=2e9)
    assert (stale.classified, stale.already_counted, stale.resent) == (0, 2, 2)
    sent = {(o.event.id, o.event.data.frequency.last_day) for o in broker.sent}
    assert sorted(day for _, day in sent) == [1, 2, 3, 4]


async def test_a_second_copy_of_one_event_at_a_later_offset_counts_once(
    database: Database,
) -> None:
    """A producer that resends after a lost ack puts one event on ``errors.raw`` twice: the copy
    (same id, a later offset, in the same batch or a later one) is never counted again."""
    analyzer = Analyzer(settings=load_settings(), patterns=load_patterns(PATTERNS))
    broker = Broker()
    [first, second] = _batch(0, 2)
    resent = Consumed(ERRORS_RAW, 0, 2, key=first.key, value=first.value)
    batch = [(m, intake(m)) for m in (first, second, resent)]
    counted = await classify_batch(database, analyzer, broker, batch, wall=2e9)
    assert (counted.classified, counted.already_counted) == (2, 1)
    again = Consumed(ERRORS_RAW, 0, 3, key=second.key, value=second.value)
    later = await classify_batch(database, analyzer, broker, [(again, intake(again))], wall=2e9)
    assert (later.classified, later.already_counted) == (0, 1)
    assert [d.frequency.last_day for d in broker.classified()] == [1, 2]
    # the offsets of the copies are stored too: a redelivery from offset 3 counts nothing
    stale = await classify_batch(database, analyzer, broker, [(again, intake(again))], wall=2e9)
    assert (stale.classified, stale.already_counted) == (0, 1)


def _burst(partition: int, first_offset: int, titles: Sequence[str], source: str) -> list[Consumed]:
    messages = []
    for n, title in enumerate(titles):
        event = lift_custom_alert(
            {"title": title, "severity": "high", "source": source, "environment": "production"},
            origin="custom",
            producer="/test",
        )
        key = event.data.fingerprint.encode()
        messages.append(
            Consumed(ERRORS_RAW, partition, first_offset + n, key=key, value=event.to_json_bytes())
        )
    return messages


async def test_a_burst_of_related_problems_is_one_incident_kept_across_a_restart(
    database: Database, storage_url: str
) -> None:
    """30 problems of one service and environment in one burst, on two partitions, with a publish
    that fails first: one incident, whose id derives from the first problem; after a restart a
    repeat and a new problem of the service join it, another service's problem does not; once
    pruned, a returning problem opens a new incident."""
    settings, patterns = load_settings(), load_patterns(PATTERNS)
    analyzer = Analyzer(settings=settings, patterns=patterns)
    broker = Broker()
    titles = [f"Checkout step {chr(65 + n // 26)}{chr(65 + n % 26)} failed" for n in range(31)]
    first = [(m, intake(m)) for m in _burst(0, 0, titles[:15], "checkout")]
    broker.failures = 1
    with pytest.raises(ConnectionError):
        await classify_batch(database, analyzer, broker, first, wall=2e9)
    await classify_batch(database, analyzer, broker, first, wall=2e9)
    second = [(m, intake(m)) for m in _burst(1, 0, titles[15:30], "checkout")]
    await classify_batch(database, analyzer, broker, second, wall=2e9)
    sent = broker.classified()
    assert len({d.fingerprint for d in sent}) == 30
    opener = first[0][0]
    assert opener.value is not None
    opening = RawError.model_validate_json(opener.value)
    expected = incident_id(opening.data.fingerprint, opening.time.timestamp())
    assert {d.incident.id if d.incident else None for d in sent} == {expected}
    await database.close()

    async with migrated(storage_url, SCHEMA) as restarted:
        broker.sent.clear()
        after = _burst(0, 15, [titles[0], titles[30]], "checkout")
        after += _burst(0, 17, ["Search index stale"], "search")
        await classify_batch(
            restarted,
            Analyzer(settings=settings, patterns=patterns),
            broker,
            [(m, intake(m)) for m in after],
            wall=2e9,
        )
        incidents = [d.incident.id for d in broker.classified() if d.incident]
        assert incidents[:2] == [expected, expected]
        assert incidents[2] != expected
        # the states of silent problems are dropped with their incidents: a return is placed anew
        assert await AnalyzerStore(restarted).prune(3e9) == 32
        broker.sent.clear()
        back = [(m, intake(m)) for m in _burst(0, 18, [titles[0]], "checkout")]
        await classify_batch(
            restarted, Analyzer(settings=settings, patterns=patterns), broker, back, wall=2e9
        )
        [returned] = broker.classified()
        assert returned.incident is not None
        assert returned.incident.id != expected


def _released(offset: int, title: str, release: str, at: float) -> Consumed:
    """A custom alert of the checkout service from ``release``, raised at ``at``."""
    event = lift_custom_alert(
        {"title": title, "severity": "high", "source": "checkout"}, origin="custom", producer="/t"
    )
    event = event.model_copy(
        update={
            "time": datetime.fromtimestamp(at, UTC),
            "data": event.data.model_copy(update={"release": release}),
        }
    )
    key = event.data.fingerprint.encode()
    return Consumed(ERRORS_RAW, 0, offset, key=key, value=event.to_json_bytes())


async def test_a_release_is_dated_from_its_first_error_across_batches(database: Database) -> None:
    """Each classified error carries when its release was first seen (the deployment's age, for
    the escalation rules), from the store: later batches and other problems agree, an earlier
    error arriving late moves it back, and a release silent past the state's life is dropped."""
    analyzer = Analyzer(settings=load_settings(), patterns=load_patterns(PATTERNS))
    broker = Broker()
    t0 = 2e9 - 3600

    async def classify(*messages: Consumed) -> list[ClassifiedErrorData]:
        broker.sent.clear()
        await classify_batch(
            database, analyzer, broker, [(m, intake(m)) for m in messages], wall=2e9
        )
        return broker.classified()

    [first] = await classify(_released(0, "Cart lost", "checkout@2.0", t0))
    [other, older] = await classify(
        _released(1, "Tax wrong", "checkout@2.0", t0 + 600),
        _released(2, "Cart lost", "checkout@1.9", t0 + 700),
    )
    assert first.release_first_seen == datetime.fromtimestamp(t0, UTC)
    assert other.release_first_seen == datetime.fromtimestamp(t0, UTC)
    assert older.release_first_seen == datetime.fromtimestamp(t0 + 700, UTC)
    assert other.frequency.first_seen == datetime.fromtimestamp(t0 + 600, UTC)
    assert other.frequency.baseline_per_minute is None  # no history yet
    [late] = await classify(_released(3, "Coupon void", "checkout@2.0", t0 - 300))
    assert late.release_first_seen == datetime.fromtimestamp(t0 - 300, UTC)
    await AnalyzerStore(database).prune(t0 + 650)  # 2.0 was seen last at t0 + 600
    [again] = await classify(_released(4, "Coupon void", "checkout@2.0", t0 + 900))
    assert again.release_first_seen == datetime.fromtimestamp(t0 + 900, UTC)
