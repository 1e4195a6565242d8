"""The replay's report for a person: one section per kind of change, one line per change."""

from __future__ import annotations

from datetime import datetime

from services.cli.replay_report import Change, Report, Statuses

TITLE_CHARS = 60


def _title(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= TITLE_CHARS else text[: TITLE_CHARS - 1] + "…"


def _time(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%S") if at is not None else "-"


def _span(seconds: float) -> str:
    seconds = abs(seconds)
    if seconds < 120:
        return f"{seconds:.0f}s"
    if seconds < 7200:
        return f"{seconds / 60:.0f}m"
    return f"{seconds / 3600:.1f}h"


def _change(name: str, change: Change) -> str | None:
    if change.baseline == change.candidate:
        return None
    return f"{name} {change.baseline or '-'} -> {change.candidate or '-'}"


def _statuses(counts: Statuses) -> str:
    return ", ".join(f"{status} {n}" for status, n in sorted(counts.items())) or "none"


def render(report: Report) -> list[str]:
    t = report.totals
    lines = [
        f"replay {_time(report.start)} .. {_time(report.end)} UTC: {t.raw_errors} raw error(s) "
        f"of {t.problems} problem(s) ({t.repeats_skipped} repeat(s) counted once, "
        f"{t.undecodable} undecodable record(s) left out)",
        f"the baseline classifies {t.baseline_agrees} of the {t.recorded_classified} recorded "
        "classified error(s) as the analyzer did",
        f"notifications recorded {t.notifications.recorded}, baseline {t.notifications.baseline}, "
        f"candidate {t.notifications.candidate}; pages recorded {t.pages.recorded}, baseline "
        f"{t.pages.baseline}, candidate {t.pages.candidate}, new {t.new_pages}",
    ]
    lines += ["", f"re-grouped ({len(report.regrouped)})"]
    for g in report.regrouped:
        lines.append(
            f"  {g.by} {', '.join(g.baseline)} {g.change} -> {', '.join(g.candidate)}: "
            f"{len(g.fingerprints)} problem(s), {g.events} error(s)"
        )
    lines += ["", f"re-categorised ({len(report.recategorised)})"]
    for r in report.recategorised:
        facets = [
            _change("category", r.category),
            _change("severity", r.severity),
            _change("pattern", r.matched_pattern),
            _change("strategy", r.resolution_strategy),
        ]
        recorded = f"{r.recorded_category or '-'}/{r.recorded_severity or '-'}"
        lines.append(
            f"  {r.fingerprint} {_title(r.title)!r}: {'; '.join(f for f in facets if f)} "
            f"({r.events} error(s); recorded {recorded})"
        )
    lines += [
        "",
        "notifications by level and channel (recorded / baseline / candidate, added, dropped)",
    ]
    for n in report.notifications:
        mark = "  " if not (n.added or n.dropped) else "* "
        lines.append(
            f"{mark}level {n.level}  {n.channel:<36} {n.recorded} / {n.baseline} / {n.candidate}"
            f"  +{n.added} -{n.dropped}"
        )
    lines += ["", f"escalations ({len(report.escalations)})"]
    for e in report.escalations:
        how = e.change if e.seconds is None else f"{e.change} by {_span(e.seconds)}"
        lines.append(
            f"  {e.fingerprint} {_title(e.title)!r} level {e.level} {how} (recorded "
            f"{_time(e.recorded_at)}, baseline {_time(e.baseline_at)}, candidate "
            f"{_time(e.candidate_at)})"
        )
    lines += ["", f"fixes ({len(report.fixes)})"]
    for f in report.fixes:
        strategy = _change("strategy", f.strategy) or f"strategy {f.strategy.candidate or '-'}"
        lines.append(
            f"  {f.fingerprint} {_title(f.title)!r}: {f.change}; {strategy}; recorded "
            f"[{_statuses(f.recorded)}], baseline [{_statuses(f.baseline)}], candidate "
            f"[{_statuses(f.candidate)}]"
        )
    if report.budgets:
        lines += ["", "budgets"]
    for b in report.budgets:
        verdict = "EXCEEDED" if b.exceeded else "ok"
        lines.append(f"  --{b.name.replace('_', '-')} {b.limit}: {b.value} ({verdict})")
    return lines
