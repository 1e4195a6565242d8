"""Grouping accuracy of the analyzer's template mining (default settings, no per-source tuning)
on the labelled set in bench/data/grouping_eval.jsonl."""

from __future__ import annotations

from collections import Counter

from bench.grouping_accuracy import grouping_accuracy, load_labelled
from services.analyzer.templates import TemplateMiner
from shared.config.sections import AnalyzerSection


def run() -> None:
    data = load_labelled()
    section = AnalyzerSection()
    miner = TemplateMiner(
        similarity=section.drain_similarity,
        depth=section.drain_depth,
        max_clusters=section.drain_max_clusters,
    )
    clusters = [miner.add(m.message).cluster_id for m in data]
    accuracy = grouping_accuracy([m.group for m in data], clusters)
    systems = Counter(m.system for m in data)
    print(
        f"labelled messages {accuracy.messages}, true groups {accuracy.true_groups}, "
        f"systems {len(systems)}; templates found {accuracy.predicted_groups}"
    )
    print(
        f"grouping accuracy (a message is correct iff its cluster is exactly its group): "
        f"{accuracy.exact_cluster:.3f}"
    )
    print(f"majority-mapped accuracy (merges cost, splits do not): {accuracy.majority:.3f}")
