"""Folding a storm's updates: consecutive ``update`` notifications of one problem to one target
become one delivery, to a target that shows only the latest state (a Slack card). Pure."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from shared.events import NotificationData

T = TypeVar("T")

#: The kind that folds: an update only moves a problem's count and latest text.
FOLDED_KIND = "update"


def runs(items: Sequence[T], folds: Callable[[T], bool]) -> list[list[T]]:
    """``items`` (one problem's, to one target, in order) cut into what is delivered at once:
    each run of consecutive items that ``folds`` together, everything else alone."""
    cut: list[list[T]] = []
    for item in items:
        if folds(item) and cut and folds(cut[-1][-1]):
            cut[-1].append(item)
        else:
            cut.append([item])
    return cut


def fold_updates(updates: Sequence[NotificationData]) -> NotificationData:
    """One update standing for ``updates`` (in order): the summary of the highest count (the
    later one on a tie), the highest level, and the latest text, actions and attempt that any
    of them carries."""
    if not updates:
        raise ValueError("nothing to fold")
    latest = max(enumerate(updates), key=lambda pair: (pair[1].summary.count, pair[0]))[1]
    return latest.model_copy(
        update={
            "level": max(u.level for u in updates),
            "text": next((u.text for u in reversed(updates) if u.text), ""),
            "actions": next((u.actions for u in reversed(updates) if u.actions), []),
            "attempt_id": next((u.attempt_id for u in reversed(updates) if u.attempt_id), None),
        }
    )
