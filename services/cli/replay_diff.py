"""The comparison: the recorded history, the baseline replay and the candidate replay in, one
:class:`~services.cli.replay_report.Report` out. Pure.

A *page* is a ``new_alert`` or ``escalation`` notification that wakes someone: one with a
PagerDuty target (``pagerduty_alert`` or ``phone_call``) or a Slack target that mentions
on-call (``mention_oncall``). ``new_pages`` counts the pages the candidate sends that the
baseline does not (one per problem, kind and level); ``max_new_pages`` and ``max_dropped``
(notifications of any kind the candidate no longer sends, one per target) are budgets.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime

from services.cli.replay_groups import fixes, recategorised, regrouped
from services.cli.replay_history import History
from services.cli.replay_report import (
    Budget,
    ChannelLevel,
    Counts,
    EscalationChange,
    NotificationChange,
    Report,
    Totals,
)
from services.cli.replay_simulate import Run, Sent
from services.notifier.policy.levels import ONCALL
from shared.events import REPORT_KINDS, Target

#: (fingerprint, kind, level, channel): one notification to one target.
Key = tuple[str, str, int, str]
OPENING_KINDS = ("new_alert", "escalation")


def channel_of(target: Target) -> str:
    return f"{target.type}:{target.channel}" if target.channel else target.type


def is_page(sent: Sent) -> bool:
    return sent.kind in OPENING_KINDS and any(
        t.type == "pagerduty" or (t.type == "slack" and ONCALL in t.mentions) for t in sent.targets
    )


def _when(at: float) -> datetime:
    return datetime.fromtimestamp(at, UTC)


def _keys(sent: Iterable[Sent]) -> Counter[Key]:
    return Counter((s.fingerprint, s.kind, s.level, channel_of(t)) for s in sent for t in s.targets)


def _pages(sent: Iterable[Sent]) -> Counter[tuple[str, str, int]]:
    return Counter((s.fingerprint, s.kind, s.level) for s in sent if is_page(s))


def channel_levels(recorded: Sequence[Sent], baseline: Run, candidate: Run) -> list[ChannelLevel]:
    counts = [_keys(recorded), _keys(baseline.sent), _keys(candidate.sent)]
    rows: dict[tuple[str, int], list[int]] = {}
    for key in set().union(*counts):
        row = rows.setdefault((key[3], key[2]), [0, 0, 0, 0, 0])
        was, will = counts[1][key], counts[2][key]
        row[0] += counts[0][key]
        row[1] += was
        row[2] += will
        row[3] += max(0, will - was)
        row[4] += max(0, was - will)
    return [
        ChannelLevel(
            channel=c,
            level=lvl,
            recorded=r[0],
            baseline=r[1],
            candidate=r[2],
            added=r[3],
            dropped=r[4],
        )
        for (c, lvl), r in sorted(rows.items(), key=lambda x: (x[0][1], x[0][0]))
    ]


def notification_changes(
    baseline: Run, candidate: Run, titles: Mapping[str, str]
) -> list[NotificationChange]:
    """Each notification (to one target) one side sends more often than the other."""
    out: list[NotificationChange] = []
    for change, ours, theirs in (("added", candidate, baseline), ("dropped", baseline, candidate)):
        spare = _keys(ours.sent) - _keys(theirs.sent)
        for sent in ours.sent:
            for target in sent.targets:
                key = (sent.fingerprint, sent.kind, sent.level, channel_of(target))
                if spare[key] > 0:
                    spare[key] -= 1
                    out.append(
                        NotificationChange(
                            change=change,
                            fingerprint=sent.fingerprint,
                            title=titles.get(sent.fingerprint, ""),
                            kind=sent.kind,
                            level=sent.level,
                            channel=key[3],
                            at=_when(sent.at),
                            page=is_page(sent),
                        )
                    )
    return sorted(out, key=lambda c: (c.at, c.fingerprint, c.level, c.channel))


def reached(sent: Iterable[Sent]) -> dict[tuple[str, int], float]:
    """When each problem first reached each level."""
    first: dict[tuple[str, int], float] = {}
    for s in sent:
        if s.kind in OPENING_KINDS:
            first.setdefault((s.fingerprint, s.level), s.at)
    return first


def escalations(
    recorded: Sequence[Sent], baseline: Run, candidate: Run, titles: Mapping[str, str]
) -> list[EscalationChange]:
    real, was, will = reached(recorded), reached(baseline.sent), reached(candidate.sent)
    out: list[EscalationChange] = []
    for key in sorted(
        set(was) | set(will), key=lambda k: (min(was.get(k, 1e20), will.get(k, 1e20)), k)
    ):
        before, after = was.get(key), will.get(key)
        if before is not None and after is not None:
            if abs(after - before) < 1.0:
                continue
            change = "earlier" if after < before else "later"
        else:
            change = "added" if after is not None else "dropped"
        out.append(
            EscalationChange(
                fingerprint=key[0],
                title=titles.get(key[0], ""),
                level=key[1],
                change=change,
                recorded_at=_when(real[key]) if key in real else None,
                baseline_at=_when(before) if before is not None else None,
                candidate_at=_when(after) if after is not None else None,
                seconds=after - before if before is not None and after is not None else None,
            )
        )
    return out


def compare(
    history: History,
    baseline: Run,
    candidate: Run,
    *,
    max_new_pages: int | None = None,
    max_dropped: int | None = None,
) -> Report:
    recorded = [  # scheduled reports are about no problem: the policy never sends them
        Sent.recorded(n) for n in history.notifications if n.event.data.kind not in REPORT_KINDS
    ]
    titles = {c.event.data.fingerprint: c.event.data.error.title for c in baseline.classified}
    real = {c.event.id: c.event.data for c in history.classified}
    agrees = sum(
        1
        for c in baseline.classified
        if (r := real.get(c.event.id)) is not None
        and (r.category, r.severity, r.matched_pattern)
        == (c.event.data.category, c.event.data.severity, c.event.data.matched_pattern)
    )
    pages = [_pages(recorded), _pages(baseline.sent), _pages(candidate.sent)]
    new_pages = sum((pages[2] - pages[1]).values())
    base_keys, cand_keys = _keys(baseline.sent), _keys(candidate.sent)
    dropped = sum((base_keys - cand_keys).values())
    budgets = [
        Budget(name=name, limit=limit, value=value, exceeded=value > limit)
        for name, limit, value in (
            ("max_new_pages", max_new_pages, new_pages),
            ("max_dropped", max_dropped, dropped),
        )
        if limit is not None
    ]
    totals = Totals(
        raw_errors=len(history.raw),
        repeats_skipped=history.repeats,
        undecodable=history.undecodable,
        problems=len({r.event.data.fingerprint for r in history.raw}),
        recorded_classified=sum(1 for c in baseline.classified if c.event.id in real),
        baseline_agrees=agrees,
        notifications=Counts(
            recorded=len(recorded), baseline=len(baseline.sent), candidate=len(candidate.sent)
        ),
        pages=Counts(
            recorded=sum(pages[0].values()),
            baseline=sum(pages[1].values()),
            candidate=sum(pages[2].values()),
        ),
        new_pages=new_pages,
        dropped_notifications=dropped,
        added_notifications=sum((cand_keys - base_keys).values()),
    )
    return Report(
        start=_when(history.start),
        end=_when(history.end),
        totals=totals,
        regrouped=regrouped(baseline, candidate),
        recategorised=recategorised(history, baseline, candidate),
        notifications=channel_levels(recorded, baseline, candidate),
        notification_changes=notification_changes(baseline, candidate, titles),
        escalations=escalations(recorded, baseline, candidate, titles),
        fixes=fixes(history, baseline, candidate, titles),
        budgets=budgets,
        exceeded=any(b.exceeded for b in budgets),
    )
