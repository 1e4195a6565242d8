"""Grouping accuracy of a clustering against the labelled set in ``bench/data/grouping_eval.jsonl``
(format and labelling rules: ``bench/data/README.md``).

Two figures, both fractions of messages:

* **majority**: each predicted cluster is assigned the true group most of its members carry; a
  message is correct iff its true group equals its cluster's assigned group. Merging two groups
  costs the minority's messages; splitting a group costs nothing (so read it with the next one).
* **exact cluster**: a message is correct iff its predicted cluster has exactly the same members as
  its true group. Any wrong merge or split costs every message of the groups involved.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.labelled import text_rows

DATA_PATH = Path(__file__).resolve().parent / "data" / "grouping_eval.jsonl"
#: The Loghub-2k log-parsing benchmark (source and checks: bench/data/README.md).
LOGHUB_PATH = Path(__file__).resolve().parent / "data" / "loghub_2k.jsonl"


@dataclass(frozen=True)
class LabelledMessage:
    message: str
    group: str
    system: str


@dataclass(frozen=True)
class GroupingAccuracy:
    messages: int
    true_groups: int
    predicted_groups: int
    majority: float
    exact_cluster: float


def load_labelled(path: Path = DATA_PATH) -> list[LabelledMessage]:
    """The labelled messages, in file order; a malformed line raises ``ValueError``."""
    rows = text_rows(path, ("message", "group", "system"))
    return [LabelledMessage(*values) for _, values in rows]


def held_out(group: str) -> bool:
    """Whether ``group`` is in the labelled set's held-out half (a fixed split by the hash of the
    group label: every message of a group is on one side). Masking and grouping are tuned on
    the other half only; the held-out figure is the honest one."""
    return hashlib.sha256(group.encode("utf-8")).digest()[0] % 2 == 1


#: The round of the labelled set a group came in, by its label's prefix (bench/data/README.md).
_ROUNDS = {
    "x_": 2,
    "y_": 2,
    "z_": 3,
    "w_": 4,
    "v_": 5,
    "u_": 6,
    "t_": 7,
    "s_": 8,
    "r_": 9,
    "q_": 10,
    "p_": 11,
    "n_": 12,
    "m_": 13,
    "l_": 14,
    "k_": 15,
    "j_": 16,
}


def labelled_round(group: str) -> int:
    """The round of the labelled set ``group`` was written in: 1 for the first round's labels,
    which have no prefix of their own."""
    return _ROUNDS.get(group[:2], 1)


def _members(labels: Sequence[Hashable]) -> dict[Hashable, frozenset[int]]:
    groups: defaultdict[Hashable, set[int]] = defaultdict(set)
    for index, label in enumerate(labels):
        groups[label].add(index)
    return {label: frozenset(indices) for label, indices in groups.items()}


def grouping_accuracy(
    true_groups: Sequence[str], predicted: Sequence[Hashable]
) -> GroupingAccuracy:
    """Score ``predicted`` cluster ids against ``true_groups``, both one entry per message."""
    if len(true_groups) != len(predicted):
        raise ValueError(
            f"{len(true_groups)} true labels but {len(predicted)} predictions; need one each"
        )
    if not true_groups:
        raise ValueError("no messages to score")
    clusters: defaultdict[Hashable, Counter[str]] = defaultdict(Counter)
    for truth, cluster in zip(true_groups, predicted, strict=True):
        clusters[cluster][truth] += 1
    # The majority label's count is what a cluster gets right, whichever label wins a tie.
    majority_correct = sum(max(counts.values()) for counts in clusters.values())
    true_members = _members(true_groups)
    predicted_members = _members(predicted)
    exact_correct = sum(
        1
        for truth, cluster in zip(true_groups, predicted, strict=True)
        if true_members[truth] == predicted_members[cluster]
    )
    total = len(true_groups)
    return GroupingAccuracy(
        messages=total,
        true_groups=len(true_members),
        predicted_groups=len(predicted_members),
        majority=majority_correct / total,
        exact_cluster=exact_correct / total,
    )
