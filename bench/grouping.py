"""Grouping accuracy of the analyzer's ``pattern_id`` and of the fingerprint, with the default
settings and no per-source tuning, messages fed one at a time (a message's group is the label
it is given at that moment):

* on the labelled set (bench/data/grouping_eval.jsonl), its tuning half and its held-out half
  apart (:func:`bench.grouping_accuracy.held_out`), and the held-out half of each round the
  set was written in (:func:`bench.grouping_accuracy.labelled_round`);
* on the Loghub-2k benchmark (bench/data/loghub_2k.jsonl: 2,000 lines of each of 16 systems), one
  analyzer per system, and averaged over the systems as the log-parsing literature reports it.

The headline figure is the exact-cluster ("grouping") accuracy: a message counts when its group
holds exactly the messages of its true group. Last, the cost of learning many shapes: one
analyzer fed every Loghub-2k line in turn, in µs a line.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Sequence

from bench.grouping_accuracy import (
    LOGHUB_PATH,
    GroupingAccuracy,
    LabelledMessage,
    grouping_accuracy,
    held_out,
    labelled_round,
    load_labelled,
)
from services.analyzer.templates import TemplateMiner
from shared.config.analyzer import AnalyzerSection
from shared.fingerprint import fingerprint

#: The targets of issue 14, on the public benchmark.
PATTERN_TARGET = 0.90
FINGERPRINT_TARGET = 0.80


def _miner() -> TemplateMiner:
    section = AnalyzerSection()
    return TemplateMiner(
        similarity=section.drain_similarity,
        depth=section.drain_depth,
        max_clusters=section.drain_max_clusters,
    )


def score(messages: Sequence[LabelledMessage]) -> tuple[GroupingAccuracy, GroupingAccuracy]:
    """Accuracy of ``pattern_id`` and of the fingerprint over ``messages``, mined in order."""
    miner = _miner()
    truth = [m.group for m in messages]
    patterns = [miner.add(m.message).pattern_id for m in messages]
    fingerprints = [fingerprint(kind="message", parts=[m.system, m.message]) for m in messages]
    return grouping_accuracy(truth, patterns), grouping_accuracy(truth, fingerprints)


def _line(name: str, pattern: GroupingAccuracy, fp: GroupingAccuracy) -> str:
    return (
        f"  {name:<24} {pattern.messages:>5} msgs {pattern.true_groups:>4} groups   "
        f"pattern_id {pattern.exact_cluster:.3f} (majority {pattern.majority:.3f})   "
        f"fingerprint {fp.exact_cluster:.3f} (majority {fp.majority:.3f})"
    )


def run() -> tuple[float, float]:
    """Print the figures; answer the Loghub averages of ``pattern_id`` and the fingerprint."""
    own = load_labelled()
    print("labelled set (grouping accuracy, exact cluster):")
    for name, part in (
        ("tuning half", [m for m in own if not held_out(m.group)]),
        ("held-out half", [m for m in own if held_out(m.group)]),
        ("whole set", own),
    ):
        print(_line(name, *score(part)))
    print("labelled set, held-out half by the round each group was written in:")
    held = [m for m in own if held_out(m.group)]
    for number in sorted({labelled_round(m.group) for m in held}):
        part = [m for m in held if labelled_round(m.group) == number]
        print(_line(f"held-out, round {number}", *score(part)))
    by_system: defaultdict[str, list[LabelledMessage]] = defaultdict(list)
    for message in load_labelled(LOGHUB_PATH):
        by_system[message.system].append(message)
    print("Loghub-2k, per system (grouping accuracy, exact cluster):")
    totals = [0.0, 0.0]
    for system in sorted(by_system):
        pattern, fp = score(by_system[system])
        totals[0] += pattern.exact_cluster
        totals[1] += fp.exact_cluster
        print(_line(system, pattern, fp))
    averages = (totals[0] / len(by_system), totals[1] / len(by_system))
    print(
        f"  average over {len(by_system)} systems: pattern_id {averages[0]:.3f} "
        f"(target {PATTERN_TARGET:.2f}), fingerprint {averages[1]:.3f} "
        f"(target {FINGERPRINT_TARGET:.2f})"
    )
    _learning_cost([m.message for system in sorted(by_system) for m in by_system[system]])
    return averages


def _learning_cost(lines: Sequence[str]) -> None:
    """Mining cost when one analyzer learns many shapes: each new or changed template is
    resolved against the recorded patterns it may relate to
    (:mod:`services.analyzer.pattern_ids`), which grow with the shapes learned."""
    miner = _miner()
    started = time.perf_counter()
    for line in lines:
        miner.add(line)
    elapsed = time.perf_counter() - started
    print(
        f"one analyzer, every Loghub-2k line in turn: {elapsed / len(lines) * 1e6:,.0f} µs a line"
        f"  ({len(lines):,} lines, {miner.cluster_count:,} clusters)"
    )
