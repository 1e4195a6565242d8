"""Reading a replay's window off the broker: ``errors.raw`` from a time or from offsets, and
what the services recorded over the same time (``errors.classified``, ``resolutions``,
``notifications``, ``commands``). No consumer group is joined or created and nothing is
committed: every partition is assigned and read up to the end offset seen at the start.

A start time is looked up with ``offsets_for_times`` and records are then kept by their
timestamp: the embedded broker answers that lookup with the partition's first offset whatever
the time, so the lookup only saves reading on Apache Kafka, and the timestamps decide on both.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aiokafka import TopicPartition

from services.cli.dlq import read_ranges
from services.cli.replay_history import Stamped
from shared.errors import AlertorchError
from shared.kafka.lag import end_offsets, partitions_of
from shared.runner import Consumed
from shared.topics import COMMANDS, ERRORS_CLASSIFIED, ERRORS_RAW, NOTIFICATIONS, RESOLUTIONS

RECORDED = (ERRORS_CLASSIFIED, RESOLUTIONS, NOTIFICATIONS, COMMANDS)
#: ``--from-offset N``: every partition of errors.raw from offset N.
EVERY_PARTITION = -1

Ranges = dict[TopicPartition, tuple[int, int]]
#: Told the size of what is about to be read, then each fetch's record count.
Progress = tuple[Callable[[int], None], Callable[[int], None]]


class ReplayError(AlertorchError):
    """A replay that cannot be done as asked (reported in one line, exit 2)."""


@dataclass(frozen=True)
class Window:
    """``since`` or ``offsets`` (partition -> first offset of errors.raw) says where it starts;
    it ends at ``until``. Times are seconds since the epoch."""

    until: float
    since: float | None = None
    offsets: Mapping[int, int] | None = None


async def _starts(consumer: Any, partitions: Sequence[TopicPartition], at: float) -> dict[Any, int]:
    """The first offset of each partition at or after time ``at`` (its end when none)."""
    found = await consumer.offsets_for_times({tp: int(at * 1000) for tp in partitions})
    return {tp: (hit.offset if hit is not None else -1) for tp, hit in found.items()}


def _from_offsets(
    offsets: Mapping[int, int], firsts: Mapping[Any, int], ends: Mapping[Any, int]
) -> Ranges:
    if EVERY_PARTITION in offsets:
        raw = sorted(tp.partition for tp in ends if tp.topic == ERRORS_RAW)
        wanted = dict.fromkeys(raw, offsets[EVERY_PARTITION])
    else:
        wanted = dict(offsets)
    ranges: Ranges = {}
    for partition, offset in sorted(wanted.items()):
        tp = TopicPartition(ERRORS_RAW, partition)
        if tp not in ends:
            raise ReplayError(f"{ERRORS_RAW} has no partition {partition}")
        ranges[tp] = (max(offset, firsts[tp]), ends[tp])
    return ranges


def _kept(records: Sequence[Any], since: float | None, until: float) -> list[Stamped]:
    out = []
    for record in records:
        at = record.timestamp / 1000
        if (since is None or at >= since) and at <= until:
            out.append((Consumed.from_record(record), at))
    return out


def _ranges(
    starts: Mapping[Any, int], partitions: Sequence[TopicPartition], ends: Mapping[Any, int]
) -> Ranges:
    """From each partition's start (-1: none in the window) to its end."""
    return {tp: (ends[tp] if starts[tp] < 0 else starts[tp], ends[tp]) for tp in partitions}


async def _read(consumer: Any, ranges: Ranges, progress: Progress) -> list[Any]:
    progress[0](sum(max(0, stop - start) for start, stop in ranges.values()))
    return list(await read_ranges(consumer, ranges, progress[1]))


async def read_window(
    consumer: Any, window: Window, progress: Progress
) -> tuple[dict[str, list[Stamped]], float]:
    """Each topic's records in the window, and the window's start (``since``, else the first
    raw error's time, else ``until``)."""
    raw_partitions = await partitions_of(consumer, [ERRORS_RAW])
    if not raw_partitions:
        raise ReplayError(f"topic {ERRORS_RAW} does not exist")
    recorded = await partitions_of(consumer, RECORDED)
    firsts = await consumer.beginning_offsets([*raw_partitions, *recorded])
    starts: dict[Any, int] = {}
    if window.offsets is None:  # one look-up for every topic: the recorded ones start then too
        starts = await _starts(consumer, [*raw_partitions, *recorded], window.since or 0.0)
    ends = await end_offsets(consumer, [*raw_partitions, *recorded])
    if window.offsets is not None:
        ranges = _from_offsets(window.offsets, firsts, ends)
    else:
        ranges = _ranges(starts, raw_partitions, ends)
    raw = _kept(await _read(consumer, ranges, progress), window.since, window.until)
    start = window.since
    if start is None:
        start = min((at for _, at in raw), default=window.until)
        starts = await _starts(consumer, recorded, start) if recorded else {}
    by_topic: dict[str, list[Stamped]] = {ERRORS_RAW: raw}
    ranges = _ranges(starts, recorded, ends)
    for message, at in _kept(await _read(consumer, ranges, progress), start, window.until):
        by_topic.setdefault(message.topic, []).append((message, at))
    return by_topic, start
