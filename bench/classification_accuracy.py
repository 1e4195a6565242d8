"""Classification accuracy against the labelled set in ``bench/data/classification_eval.jsonl``
(format, labelling rules and sources: ``bench/data/README.md``).

Each line is a real error string with one of :data:`CATEGORIES` and a split: ``tuning`` lines may
be studied to improve the default patterns; ``heldout`` lines may not, so their accuracy measures
what the defaults do on errors they were not written for. A message is correct iff the category
the analyzer gives it equals its label (``unknown`` is always wrong).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

from bench.labelled import text_rows
from shared.events import CORE_CATEGORIES

DATA_PATH = Path(__file__).resolve().parent / "data" / "classification_eval.jsonl"

#: The categories every default must cover (the labels of the set).
CATEGORIES: Final = CORE_CATEGORIES

Split = Literal["tuning", "heldout"]
SPLITS: Final[dict[str, Split]] = {"tuning": "tuning", "heldout": "heldout"}


@dataclass(frozen=True)
class LabelledError:
    message: str
    category: str
    system: str
    split: Split
    source: str


@dataclass(frozen=True)
class ClassificationAccuracy:
    messages: int
    correct: int
    #: category -> (correct, messages) for the category's labelled messages
    per_category: dict[str, tuple[int, int]]

    @property
    def accuracy(self) -> float:
        return self.correct / self.messages


def load_labelled(path: Path = DATA_PATH) -> list[LabelledError]:
    """The labelled errors, in file order; a malformed line raises ``ValueError``."""
    out: list[LabelledError] = []
    for number, values in text_rows(path, ("message", "category", "system", "split", "source")):
        message, category, system, split, source = values
        if category not in CATEGORIES:
            raise ValueError(f"{path}:{number}: unknown category {category!r}")
        if split not in SPLITS:
            raise ValueError(f"{path}:{number}: split must be one of {', '.join(SPLITS)}")
        out.append(LabelledError(message, category, system, SPLITS[split], source))
    return out


def score(truth: Sequence[str], predicted: Sequence[str]) -> ClassificationAccuracy:
    """Score ``predicted`` categories against ``truth``, one entry per message each."""
    if len(truth) != len(predicted):
        raise ValueError(f"{len(truth)} labels but {len(predicted)} predictions; need one each")
    if not truth:
        raise ValueError("no messages to score")
    totals: Counter[str] = Counter(truth)
    hits: Counter[str] = Counter(t for t, p in zip(truth, predicted, strict=True) if t == p)
    return ClassificationAccuracy(
        messages=len(truth),
        correct=sum(hits.values()),
        per_category={category: (hits[category], totals[category]) for category in totals},
    )
