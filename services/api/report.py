"""A report of a time window from the read model: the analytics the REST API serves
(``GET /api/v1/analytics``) and ``alertorch report`` prints."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from services.api import analytics, queries
from services.api.analytics import Step, Window


async def gather(db: AsyncConnection, window: Window, *, trend: bool = True) -> dict[str, Any]:
    """The analytics of ``window``; with ``trend``, also the errors processed and per category
    in the window of the same length before it (``trend``)."""
    processed = await queries.bucket_counts(
        db, kind="occurrence", start=window.start, end=window.end, width=window.bucket
    )
    notified = await queries.bucket_counts(
        db, kind="notification", start=window.start, end=window.end, width=window.bucket
    )
    active = await queries.alerts_active_between(db, window.start, window.end)
    steps = await queries.resolution_steps(db, window.start, window.end)
    found = analytics.report(
        window,
        processed=processed,
        notified=notified,
        active=active,
        steps=[Step(**step) for step in steps],
    )
    if trend:
        span = window.end - window.start
        before = await gather(db, Window.spanning(window.start - span, window.start), trend=False)
        found["trend"] = {
            "previous_window": {k: before["window"][k] for k in ("start", "end")},
            "events": before["processing"]["events"],
            "categories": _counts(before["top_categories"], "category"),
        }
    return found


def _seconds(value: float | None) -> str:
    if value is None:
        return "—"
    if value < 120:
        return f"{value:.0f} s"
    if value < 7200:
        return f"{value / 60:.0f} min"
    return f"{value / 3600:.1f} h"


def _rate(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def _ranked(items: list[dict[str, Any]], key: str) -> list[str]:
    return [
        f"  {item[key]:<22} {item['occurrences']:>8,} in {item['alerts']} problem(s)"
        for item in items
    ] or ["  (none)"]


def render(report: dict[str, Any]) -> str:
    """The report as text for a terminal (the JSON has every figure)."""
    window = report["window"]
    lines = [
        f"alertorch report {window['start']} → {window['end']}",
        "",
        f"errors processed   {report['processing']['events']:,}"
        + (
            f"  ({report['processing']['per_minute']:.1f}/min)"
            if report["processing"]["per_minute"] is not None
            else ""
        )
        + (
            f"{_change(report['processing']['events'], report['trend']['events'])} "
            "on the window before"
            if report.get("trend")
            else ""
        ),
        f"notifications      {report['notifications']['count']:,}",
        f"problems           {report['escalation']['alerts']:,} new, "
        f"{report['escalation']['escalated_alerts']:,} escalated "
        f"({_rate(report['escalation']['rate'])}), "
        f"{report['escalation']['escalations']:,} escalations",
        f"response time      p50 {_seconds(report['response_time_seconds']['p50'])}, "
        f"p90 {_seconds(report['response_time_seconds']['p90'])} (first event → first notice)",
        f"MTTA               {_seconds(report['mtta_seconds']['mean'])} "
        f"({report['mtta_seconds']['count']} acknowledged)",
        f"MTTR               {_seconds(report['mttr_seconds']['mean'])} "
        f"({report['mttr_seconds']['count']} resolved)",
        "",
        "errors by category",
    ]
    lines += [
        line + _category_change(report, item)
        for line, item in zip(
            _ranked(report["top_categories"], "category"), report["top_categories"], strict=False
        )
    ] or ["  (none)"]
    lines += ["", "noisiest services"]
    lines += _ranked(report["top_services"], "service")
    lines += ["", "top patterns"]
    lines += [
        f"  {item['occurrences']:>8,}  {(item.get('template') or item['pattern_id'])[:70]}"
        for item in report["top_patterns"]
    ] or ["  (none)"]
    lines += ["", "fixes by strategy"]
    lines += [
        f"  {name:<28} {stats['attempts']} attempt(s), {stats['succeeded']} succeeded, "
        f"{stats['failed']} failed, {stats['rolled_back']} rolled back "
        f"(success {_rate(stats['success_rate'])})"
        for name, stats in report["resolutions"]["by_strategy"].items()
    ] or ["  (none)"]
    decisions = ", ".join(f"{k} {v}" for k, v in report["resolutions"]["by_status"].items())
    lines += ["", f"decisions          {decisions or '(none)'}"]
    return "\n".join(lines)


def _change(now: float, before: float | None) -> str:
    if before is None:
        return ""
    if before == 0:
        return " (new)" if now else ""
    return f" ({(now - before) / before:+.0%})"


def _counts(items: list[dict[str, Any]], key: str) -> dict[str, int]:
    return {str(item[key]): int(item["occurrences"]) for item in items}


def _category_change(report: dict[str, Any], item: dict[str, Any]) -> str:
    trend = report.get("trend")
    if not trend:
        return ""
    return _change(item["occurrences"], trend["categories"].get(str(item["category"]), 0))


def slack_text(report: dict[str, Any]) -> str:
    """The report as Slack mrkdwn paragraphs (the seed's "metrics report"); changes are against
    the period before (``trend``)."""
    events = report["processing"]["events"]
    trend = report.get("trend")
    before = trend["events"] if trend else None
    esc = report["escalation"]
    strategies = report["resolutions"]["by_strategy"]
    attempts = sum(s["attempts"] for s in strategies.values())
    succeeded = sum(s["succeeded"] for s in strategies.values())
    summary = [
        f"*Errors processed:* {events:,}{_change(events, before)}",
        f"*Problems:* {esc['alerts']:,} new, {esc['escalated_alerts']:,} escalated "
        f"({_rate(esc['rate'])}), {esc['escalations']:,} escalations",
        f"*Automatic fixes:* {attempts:,} attempts, {succeeded:,} succeeded "
        f"({_rate(succeeded / attempts if attempts else None)})",
        f"*Response time:* p50 {_seconds(report['response_time_seconds']['p50'])} · "
        f"*MTTA:* {_seconds(report['mtta_seconds']['mean'])} · "
        f"*MTTR:* {_seconds(report['mttr_seconds']['mean'])}",
        f"*Notifications:* {report['notifications']['count']:,}",
    ]
    categories = [
        f"• {item['category']}: {item['occurrences']:,}{_category_change(report, item)}"
        for item in report["top_categories"]
    ] or ["• (none)"]
    services = [
        f"• {item['service']}: {item['occurrences']:,} in {item['alerts']} problem(s)"
        for item in report["top_services"]
    ] or ["• (none)"]
    patterns = [
        f"• {(item.get('template') or item['pattern_id'])[:90]}: {item['occurrences']:,}"
        for item in report["top_patterns"]
    ] or ["• (none)"]
    fixes = [
        f"• {name}: {stats['succeeded']}/{stats['attempts']} succeeded"
        + (f", {stats['rolled_back']} rolled back" if stats["rolled_back"] else "")
        for name, stats in strategies.items()
    ] or ["• (none)"]
    return "\n\n".join(
        [
            "\n".join(summary),
            "*Errors by category*\n" + "\n".join(categories),
            "*Noisiest services*\n" + "\n".join(services),
            "*Top patterns*\n" + "\n".join(patterns),
            "*Fixes by strategy*\n" + "\n".join(fixes),
        ]
    )


def health_text(
    consumers: list[dict[str, Any]], error: str | None, dead_letters: dict[str, int]
) -> str:
    """The seed's "system health" message: each consumer group's members and lag, and the dead
    letters of the period per topic."""
    if error:
        groups = [f"• the broker did not answer ({error})"]
    else:
        groups = [
            f"• {c['group']}: {c['state']}, {c['members'] if c['members'] is not None else '?'} "
            f"member(s), lag {c['total_lag']:,}"
            + (" :warning:" if c["total_lag"] or not c["members"] else "")
            for c in consumers
        ] or ["• (no consumer groups)"]
    letters = [f"• {topic}: {count:,}" for topic, count in sorted(dead_letters.items())]
    return "\n\n".join(
        [
            "*Consumer groups*\n" + "\n".join(groups),
            "*Dead letters in the period*\n" + ("\n".join(letters) or "• none"),
        ]
    )
