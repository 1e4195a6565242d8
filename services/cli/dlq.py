"""``alertorch dlq list|show|replay TOPIC``: read a topic's dead letters and send them back.

``TOPIC`` is the source topic (``errors.raw``; ``errors.raw.dlq`` means the same). Its ``.dlq``
twin is read without joining a consumer group: every partition is assigned and read from its
first offset to the end offset seen at the start, then the command stops. A dead letter's id is
``PARTITION:OFFSET`` of its record on the DLQ topic: unique, stable, and what ``--id`` takes.

``replay`` republishes the original value, key and headers (less the dead-letter headers) to the
source partition the message came from, marked ``alertorch-replay-of: topic/partition/offset``
with the coordinates of the message that failed. Each message is published once: the source
partitions are first read from the failed messages' offsets on (a replay always lands after its
original) for that marker, and what was replayed already is skipped. The source topic is the
record of what was replayed; nothing else is stored.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaError

from services.cli.common import add_broker_timeout, add_config_dir, broker_reached, settings_or_exit
from shared.config import Settings
from shared.kafka.dlq import (
    H_ATTEMPTS,
    H_ERROR_CLASS,
    H_ERROR_REASON,
    H_FAILED_AT,
    H_SERVICE,
    H_SOURCE_OFFSET,
    H_SOURCE_PARTITION,
    H_SOURCE_TOPIC,
)
from shared.kafka.lag import end_offsets
from shared.topics import DLQ_SUFFIX

REPLAY_OF = "alertorch-replay-of"
DEAD_LETTER_HEADERS = frozenset(
    {
        H_ERROR_CLASS,
        H_ERROR_REASON,
        H_SOURCE_TOPIC,
        H_SOURCE_PARTITION,
        H_SOURCE_OFFSET,
        H_SERVICE,
        H_ATTEMPTS,
        H_FAILED_AT,
        REPLAY_OF,
    }
)
STALL_SECONDS = 30.0
LIST_REASON_CHARS = 200

Id = tuple[int, int]


class DlqError(Exception):
    """A problem to report in one line (exit 1)."""


def parse_id(text: str) -> Id:
    partition, sep, offset = text.strip().partition(":")
    if not (sep and partition.isdigit() and offset.isdigit()):
        raise argparse.ArgumentTypeError(f"{text!r}: expected PARTITION:OFFSET, e.g. 0:12")
    return int(partition), int(offset)


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    dlq = sub.add_parser("dlq", help="list, show and replay the dead letters of a topic")
    actions = dlq.add_subparsers(dest="action", required=True, metavar="ACTION")
    helps = {
        "list": "one line per dead letter: id, when, reason, original key",
        "show": "one dead letter in full: headers, reason, original value",
        "replay": "republish dead letters (all, or --id) to their source topic, once each",
    }
    for action, text in helps.items():
        parser = actions.add_parser(action, help=text, description=text)
        parser.add_argument("topic", metavar="TOPIC", help="the source topic, e.g. errors.raw")
        if action == "list":
            parser.add_argument("--json", action="store_true", help="one JSON object per line")
            parser.set_defaults(id=None)
        elif action == "show":
            parser.add_argument("--id", type=parse_id, required=True, help="PARTITION:OFFSET")
        else:
            parser.add_argument(
                "--id",
                type=parse_id,
                action="append",
                help="PARTITION:OFFSET of a dead letter; repeat for more (default: all)",
            )
        add_broker_timeout(parser)
        add_config_dir(parser)
        parser.set_defaults(run=run)


@dataclass(frozen=True)
class Letter:
    """One record of a DLQ topic."""

    topic: str
    partition: int
    offset: int
    timestamp_ms: int
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...]

    @classmethod
    def from_record(cls, record: Any) -> Letter:
        return cls(
            topic=str(record.topic),
            partition=int(record.partition),
            offset=int(record.offset),
            timestamp_ms=int(record.timestamp),
            key=record.key,
            value=record.value,
            headers=tuple(record.headers or ()),
        )

    @property
    def id(self) -> str:
        return f"{self.partition}:{self.offset}"

    def header(self, name: str) -> str | None:
        values = [value for key, value in self.headers if key == name]
        return values[-1].decode("utf-8", "replace") if values else None

    def number(self, name: str) -> int | None:
        text = self.header(name)
        return int(text) if text is not None and text.isdigit() else None

    @property
    def origin(self) -> str:
        """``topic/partition/offset`` of the message that failed, which a replay is marked with.

        Dead letters of one message (a failure redelivered before its offset was committed) share
        it, so the message is replayed once. Without the source headers: the DLQ record's own.
        """
        where = (self.header(H_SOURCE_TOPIC), self.header(H_SOURCE_PARTITION))
        offset = self.header(H_SOURCE_OFFSET)
        if where[0] and where[1] and offset:
            return f"{where[0]}/{where[1]}/{offset}"
        return f"{self.topic}/{self.partition}/{self.offset}"

    @property
    def failed_at(self) -> str:
        fallback = datetime.fromtimestamp(self.timestamp_ms / 1000, UTC).isoformat()
        return self.header(H_FAILED_AT) or fallback

    @property
    def reason(self) -> str:
        error, reason = self.header(H_ERROR_CLASS), self.header(H_ERROR_REASON)
        return ": ".join(part for part in (error, reason) if part) or "(no reason recorded)"

    @property
    def key_text(self) -> str | None:
        return self.key.decode("utf-8", "replace") if self.key is not None else None

    def original_headers(self) -> list[tuple[str, bytes]]:
        return [(k, v) for k, v in self.headers if k not in DEAD_LETTER_HEADERS]

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "dead_lettered_at": self.failed_at,
            "error_class": self.header(H_ERROR_CLASS),
            "reason": self.header(H_ERROR_REASON),
            "key": self.key_text,
            "service": self.header(H_SERVICE),
            "attempts": self.number(H_ATTEMPTS),
            "source_topic": self.header(H_SOURCE_TOPIC),
            "source_partition": self.number(H_SOURCE_PARTITION),
            "source_offset": self.number(H_SOURCE_OFFSET),
            "event_id": self.header("ce_id"),
            "replay_of": self.header(REPLAY_OF),
            "value_bytes": None if self.value is None else len(self.value),
        }


async def _partitions(consumer: Any, topic: str) -> list[TopicPartition]:
    # Metadata of every topic: asking for one by name could auto-create it on some brokers.
    cluster = await consumer._client.fetch_all_metadata()
    found = cluster.partitions_for_topic(topic)
    if not found:
        raise DlqError(f"topic {topic} does not exist")
    return [TopicPartition(topic, p) for p in sorted(found)]


async def read_ranges(
    consumer: Any,
    ranges: dict[TopicPartition, tuple[int, int]],
    progress: Callable[[int], None] | None = None,
) -> list[Any]:
    """Every record with ``start <= offset < stop`` of each partition's range, in order, read
    with ``consumer`` (no group). ``progress`` is told how many records each fetch brought."""
    todo = {tp: span for tp, span in ranges.items() if span[0] < span[1]}
    consumer.assign(list(todo))
    for tp, (start, _) in todo.items():
        consumer.seek(tp, start)
    out: list[Any] = []
    stalled_at = time.monotonic() + STALL_SECONDS
    while todo:
        batch = await consumer.getmany(*todo, timeout_ms=500)
        for tp, records in batch.items():
            start, stop = ranges[tp]
            out.extend(r for r in records if start <= r.offset < stop)
            if progress is not None:
                progress(len(records))
        for tp in list(todo):
            if await consumer.position(tp) >= todo[tp][1]:
                consumer.pause(tp)
                del todo[tp]
        if batch:
            stalled_at = time.monotonic() + STALL_SECONDS
        elif time.monotonic() > stalled_at:
            where = ", ".join(f"{tp.topic}[{tp.partition}]" for tp in todo)
            raise DlqError(f"reading {where} stalled for {STALL_SECONDS:.0f}s")
    return sorted(out, key=lambda r: (r.partition, r.offset))


async def read_letters(consumer: Any, dlq: str, ids: Iterable[Id] | None) -> list[Letter]:
    """The DLQ's records (or only ``ids``; an unknown id is an error)."""
    partitions = await _partitions(consumer, dlq)
    firsts = await consumer.beginning_offsets(partitions)
    ends = await end_offsets(consumer, partitions)
    if ids is None:
        ranges = {tp: (int(firsts[tp]), int(ends[tp])) for tp in partitions}
        total = sum(stop - start for start, stop in ranges.values())
        print(
            f"reading {dlq}: {total} record(s) in {len(partitions)} partition(s)", file=sys.stderr
        )
        return [Letter.from_record(r) for r in await read_ranges(consumer, ranges)]
    wanted = sorted(set(ids))
    ranges = {}
    for partition, offset in wanted:
        tp = TopicPartition(dlq, partition)
        if tp not in ends:
            raise DlqError(
                f"no dead letter {partition}:{offset}: {dlq} has no partition {partition}"
            )
        if not firsts[tp] <= offset < ends[tp]:
            held = f"offsets {firsts[tp]}..{ends[tp] - 1}" if ends[tp] > firsts[tp] else "none"
            raise DlqError(f"no dead letter {partition}:{offset} on {dlq} (partition holds {held})")
        start, stop = ranges.get(tp, (offset, offset + 1))
        ranges[tp] = (min(start, offset), max(stop, offset + 1))
    by_id = {(r.partition, r.offset): r for r in await read_ranges(consumer, ranges)}
    missing = [f"{p}:{o}" for p, o in wanted if (p, o) not in by_id]
    if missing:
        raise DlqError(f"no dead letter {', '.join(missing)} on {dlq}")
    return [Letter.from_record(by_id[i]) for i in wanted]


def print_list(letters: list[Letter], *, as_json: bool) -> None:
    """Oldest dead letter first."""
    letters = sorted(letters, key=lambda x: (x.timestamp_ms, x.partition, x.offset))
    if as_json:
        for letter in letters:
            print(json.dumps(letter.summary(), ensure_ascii=False))
        return
    id_width = max(len("ID"), *(len(letter.id) for letter in letters))
    key_width = max(len("KEY"), *(len(letter.key_text or "-") for letter in letters))
    print(f"{'ID':<{id_width}}  {'DEAD-LETTERED':<32}  {'KEY':<{key_width}}  REASON")
    for letter in letters:
        reason = " ".join(letter.reason.split())
        if len(reason) > LIST_REASON_CHARS:
            reason = reason[: LIST_REASON_CHARS - 1] + "…"
        key = letter.key_text or "-"
        print(f"{letter.id:<{id_width}}  {letter.failed_at:<32}  {key:<{key_width}}  {reason}")


def _text(value: bytes) -> str:
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return repr(value)


def print_letter(letter: Letter, dlq: str) -> None:
    print(f"id             {letter.id}")
    print(f"record         {dlq} partition {letter.partition} offset {letter.offset}")
    print(f"dead-lettered  {letter.failed_at}")
    print(f"service        {letter.header(H_SERVICE) or '-'}")
    print(f"attempts       {letter.header(H_ATTEMPTS) or '-'}")
    source = (letter.header(H_SOURCE_TOPIC), letter.header(H_SOURCE_PARTITION))
    offset = letter.header(H_SOURCE_OFFSET)
    print(f"source         {source[0] or '-'} partition {source[1] or '-'} offset {offset or '-'}")
    print(f"key            {'-' if letter.key is None else _text(letter.key)}")
    print(f"reason         {letter.reason}")
    print("headers:")
    for name, value in letter.headers:
        print(f"  {name}: {_text(value)}")
    if letter.value is None:
        print("value: none (a tombstone)")
        return
    try:
        shown = json.dumps(json.loads(letter.value), indent=2, ensure_ascii=False)
    except ValueError:
        shown = repr(letter.value)
    print(f"value ({len(letter.value)} bytes):")
    print(shown)


async def already_replayed(
    consumer: Any, topic: str, letters: list[Letter]
) -> dict[str, tuple[int, int]]:
    """Where the letters' messages were replayed before: ``origin -> (partition, offset)``."""
    partitions = await _partitions(consumer, topic)
    ends = await end_offsets(consumer, partitions)
    starts: dict[TopicPartition, int] = {}
    for letter in letters:
        tp = TopicPartition(topic, letter.number(H_SOURCE_PARTITION))
        offset = letter.number(H_SOURCE_OFFSET)
        if tp not in ends or offset is None or offset >= ends[tp]:  # unknown, or topic recreated
            starts = dict.fromkeys(partitions, 0)
            break
        starts[tp] = min(starts.get(tp, offset), offset)
    ranges = {tp: (start, int(ends[tp])) for tp, start in starts.items()}
    total = sum(stop - start for start, stop in ranges.values())
    print(f"checking {topic} for earlier replays: {total} record(s)", file=sys.stderr)
    origins = {letter.origin for letter in letters}
    found: dict[str, tuple[int, int]] = {}
    for record in await read_ranges(consumer, ranges):
        for name, value in record.headers or ():
            marker = value.decode("utf-8", "replace")
            if name == REPLAY_OF and marker in origins:
                found.setdefault(marker, (int(record.partition), int(record.offset)))
    return found


async def replay(settings: Settings, consumer: Any, topic: str, letters: list[Letter]) -> int:
    """Publish each letter's message once: to its source partition, marked with its origin."""
    done = await already_replayed(consumer, topic, letters)
    partitions = {tp.partition for tp in await _partitions(consumer, topic)}
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        acks="all",
        enable_idempotence=settings.kafka.enable_idempotence,
        linger_ms=0,
        request_timeout_ms=15000,
        client_id="alertorch-cli",
    )
    await producer.start()
    replayed = 0
    try:
        for letter in letters:
            if letter.origin in done:
                partition, offset = done[letter.origin]
                print(
                    f"skipped  {letter.id}: already replayed "
                    f"({topic} partition {partition} offset {offset})"
                )
                continue
            source = letter.number(H_SOURCE_PARTITION)
            meta = await producer.send_and_wait(
                topic,
                value=letter.value,
                key=letter.key,
                partition=source if source in partitions else None,
                headers=[*letter.original_headers(), (REPLAY_OF, letter.origin.encode())],
            )
            done[letter.origin] = (int(meta.partition), int(meta.offset))
            replayed += 1
            print(
                f"replayed {letter.id} -> {topic} partition {meta.partition} offset {meta.offset}"
            )
    finally:
        await producer.stop()
    print(f"replayed {replayed}, skipped {len(letters) - replayed}", file=sys.stderr)
    return 0


def run(args: argparse.Namespace) -> int:
    settings = settings_or_exit(args.config_dir)
    # Every failure is reported once, in one line: not aiokafka's log of each refused connection.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    topic = args.topic.removesuffix(DLQ_SUFFIX)
    dlq = topic + DLQ_SUFFIX
    bootstrap = settings.kafka_bootstrap_servers

    async def main() -> int:
        if not await broker_reached(bootstrap, args.broker_timeout):
            return 1
        consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap,
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            client_id="alertorch-cli",
        )
        try:
            await consumer.start()
            ids = [args.id] if args.action == "show" else args.id
            letters = await read_letters(consumer, dlq, ids)
            if not letters:
                print(f"no dead letters on {dlq}", file=sys.stderr)
                return 0
            if args.action == "list":
                print_list(letters, as_json=args.json)
                return 0
            if args.action == "show":
                print_letter(letters[0], dlq)
                return 0
            return await replay(settings, consumer, topic, letters)
        except (DlqError, KafkaError) as exc:
            print(f"error: {exc} (broker {bootstrap})", file=sys.stderr)
            return 1
        finally:
            await consumer.stop()

    return asyncio.run(main())
