"""Per-problem comparisons of two replays: groups that split or merge, problems classified
otherwise, fixes decided otherwise. Pure."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Literal

from services.cli.replay_history import History, Recorded
from services.cli.replay_report import Change, FixChange, Recategorised, Regrouped, Statuses
from services.cli.replay_simulate import Run
from shared.events import ClassifiedErrorData, Resolution

#: The resolver's decisions on a classified error (the rest are an attempt's later states).
DECISIONS = (
    "auto_resolving",
    "awaiting_approval",
    "skipped",
    "suppressed",
    "no_strategy",
    "resolved_by_source",
)
#: The decisions that start an attempt.
STARTS = ("auto_resolving", "awaiting_approval")
NONE = "(none)"


def _groups(
    by: Literal["template", "pattern"],
    before: Mapping[str, str | None],
    after: Mapping[str, str | None],
    fingerprint: Mapping[str, str],
) -> list[Regrouped]:
    """Split: one labelled group's events now carry several labels; merged: the converse.
    Errors that had no label, or lose theirs, are re-categorised, not regrouped."""
    found: list[Regrouped] = []
    for change, one, other in (("split", before, after), ("merged", after, before)):
        spread: dict[str, Counter[str]] = {}
        for event, label in one.items():
            there = other.get(event)
            if label is not None and there is not None:
                spread.setdefault(label, Counter())[there] += 1
        for label, labels in sorted(spread.items()):
            if len(labels) < 2:
                continue
            events = [e for e, x in one.items() if x == label and other.get(e) in labels]
            found.append(
                Regrouped(
                    by=by,
                    change=change,
                    baseline=[label] if change == "split" else sorted(labels),
                    candidate=sorted(labels) if change == "split" else [label],
                    fingerprints=sorted({fingerprint[e] for e in events}),
                    events=len(events),
                )
            )
    return found


def _by_event(run: Run) -> dict[str, ClassifiedErrorData]:
    return {c.event.id: c.event.data for c in run.classified}


def regrouped(baseline: Run, candidate: Run) -> list[Regrouped]:
    was, will = _by_event(baseline), _by_event(candidate)
    fingerprint = {e: d.fingerprint for e, d in was.items()}
    found = _groups(
        "template",
        {e: d.pattern_id for e, d in was.items()},
        {e: d.pattern_id for e, d in will.items()},
        fingerprint,
    )
    return found + _groups(
        "pattern",
        {e: d.matched_pattern for e, d in was.items()},
        {e: d.matched_pattern for e, d in will.items()},
        fingerprint,
    )


def _facets(data: ClassifiedErrorData) -> tuple[str, str, str | None, str | None]:
    return data.category, data.severity.value, data.matched_pattern, data.resolution_strategy


def recategorised(history: History, baseline: Run, candidate: Run) -> list[Recategorised]:
    was, will = _by_event(baseline), _by_event(candidate)
    real = {c.event.id: c.event.data for c in history.classified}
    changed: dict[str, tuple[int, str]] = {}  # fingerprint: (errors, the last one's event id)
    for event, data in was.items():
        other = will.get(event)
        if other is not None and _facets(data) != _facets(other):
            count, _ = changed.get(data.fingerprint, (0, event))
            changed[data.fingerprint] = (count + 1, event)
    out = []
    for fp, (count, event) in sorted(changed.items()):
        a, b, r = _facets(was[event]), _facets(will[event]), real.get(event)
        out.append(
            Recategorised(
                fingerprint=fp,
                title=was[event].error.title,
                events=count,
                category=Change(baseline=a[0], candidate=b[0]),
                severity=Change(baseline=a[1], candidate=b[1]),
                matched_pattern=Change(baseline=a[2], candidate=b[2]),
                resolution_strategy=Change(baseline=a[3], candidate=b[3]),
                recorded_category=r.category if r else None,
                recorded_severity=r.severity.value if r else None,
            )
        )
    return out


def _statuses(decisions: Iterable[Recorded[Resolution]]) -> dict[str, Statuses]:
    out: dict[str, Statuses] = {}
    for d in decisions:
        fp = out.setdefault(d.event.data.fingerprint, {})
        fp[d.event.data.status] = fp.get(d.event.data.status, 0) + 1
    return out


def _strategies(decisions: Iterable[Recorded[Resolution]]) -> dict[str, str]:
    return {d.event.data.fingerprint: d.event.data.strategy or NONE for d in decisions}


def recorded_decisions(history: History) -> list[Recorded[Resolution]]:
    """The record's decisions on classified errors: an attempt's later states left out (a
    decision names an attempt only when it starts one)."""
    return [
        r
        for r in history.resolutions
        if r.event.data.status in DECISIONS
        and (r.event.data.attempt_id is None or r.event.data.status in STARTS)
    ]


def _change(was: Statuses, will: Statuses) -> Literal["run", "held", "changed"]:
    ran, runs = was.get("auto_resolving", 0), will.get("auto_resolving", 0)
    if runs > ran:
        return "run"
    if runs < ran or will.get("awaiting_approval", 0) > was.get("awaiting_approval", 0):
        return "held"
    return "changed"


def fixes(
    history: History, baseline: Run, candidate: Run, titles: Mapping[str, str]
) -> list[FixChange]:
    was, will = _statuses(baseline.decisions), _statuses(candidate.decisions)
    real = _statuses(recorded_decisions(history))
    named = (_strategies(baseline.decisions), _strategies(candidate.decisions))
    out = []
    for fp in sorted(set(was) | set(will)):
        before, after = was.get(fp, {}), will.get(fp, {})
        strategy = Change(baseline=named[0].get(fp), candidate=named[1].get(fp))
        if before == after and strategy.baseline == strategy.candidate:
            continue
        out.append(
            FixChange(
                fingerprint=fp,
                title=titles.get(fp, ""),
                change=_change(before, after),
                strategy=strategy,
                recorded=real.get(fp, {}),
                baseline=before,
                candidate=after,
            )
        )
    return out
