"""The default Block Kit templates, one per notification kind, plus the root card.

``new_alert`` draws the root card of a problem (title, severity, service, count, status, who
acted, latest update, buttons); it is redrawn in place as the problem changes. ``incident``
draws the card the problems of one incident share in a channel, once a second one joins. The
others are the replies in the problem's thread, except the scheduled reports
(``metrics_report``, ``system_health``), each a message of its own.
"""

from __future__ import annotations

from typing import Any

from services.notifier.slack.buttons import ack_all_button, ack_button
from services.notifier.slack.limits import Block
from services.notifier.slack.templates import SlackBlockTemplate, TemplateFn
from services.notifier.slack.text import cut, escape
from shared.events import REPORT_KINDS

SEVERITY_ICON = {
    "critical": ":red_circle:",
    "high": ":large_orange_circle:",
    "medium": ":large_yellow_circle:",
    "low": ":large_blue_circle:",
    "info": ":white_circle:",
}


def _section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text, "verbatim": True}}


def _context(*parts: str) -> Block:
    return {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": p, "verbatim": True} for p in parts if p],
    }


def _facts(d: dict[str, Any]) -> list[str]:
    facts = [f"*Severity:* {d['severity']}"]
    for key, label in (("service", "Service"), ("environment", "Environment")):
        if d.get(key):
            facts.append(f"*{label}:* {d[key]}")
    facts.append(f"*Occurrences:* {d['count_text']}")
    if d.get("impact_score") is not None:
        facts.append(f"*Impact:* {d['impact_score']}/100")
    if d.get("trend"):
        facts.append(f"*Trend:* {d['trend']}")
    return facts


def alert_card(d: dict[str, Any]) -> list[Block]:
    icon = SEVERITY_ICON.get(d["severity"], "")
    top = {"type": "header", "text": {"type": "plain_text", "text": d["title"], "emoji": False}}
    blocks: list[Block] = [
        _section(d["headline"]) if d.get("headline") else top,
        {
            "type": "section",
            "fields": [{"type": "mrkdwn", "text": f, "verbatim": True} for f in _facts(d)],
        },
        _context(f"{icon} *Status:* {d['status']}", d.get("acted_by", ""), d.get("url", "")),
    ]
    if d.get("mentions"):
        blocks.append(_section(d["mentions"]))
    latest = d.get("latest") or d.get("text")
    if latest:
        blocks.append(_context(f"_Latest:_ {latest}"))
    return blocks


#: Problems an incident's card lists one by one (a message holds at most 50 blocks).
INCIDENT_LISTED = 40
#: Characters of a problem's latest update its line on an incident's card shows.
LINE_LATEST = 200


def incident_card(d: dict[str, Any]) -> list[Block]:
    """An incident's card: what its problems share, then a line per problem (its count, its
    status, who acted, its latest update) with its Acknowledge button."""
    icon = SEVERITY_ICON.get(d["severity"], "")
    where = " · ".join(f"*{d[k]}*" for k in ("service", "environment") if d.get(k))
    head = f"{icon} *{d['title']}*" + (f" in {where}" if where else "")
    top = _section(f"{head}\n{d['count_text']} occurrences in all")
    if any(p.get("ack") for p in d["problems"]):
        top["accessory"] = ack_all_button(d["fingerprint"], d["raw"]["incident"])
    blocks: list[Block] = [top, _context(f"Incident `{d['incident']}`")]
    for p in d["problems"][:INCIDENT_LISTED]:
        icon = SEVERITY_ICON.get(p["severity"], "")
        line = f"{icon} *{p['title']}*\n{p['count_text']} occurrences · {p['status']}"
        line += f" · {p['acted_by']}" if p.get("acted_by") else ""
        line += f"\n_Latest:_ {cut(p['latest'], LINE_LATEST)}" if p.get("latest") else ""
        block = _section(line)
        if p.get("ack"):
            block["accessory"] = ack_button(p["fingerprint"], p.get("attempt_id"))
        blocks.append(block)
    if (more := len(d["problems"]) - INCIDENT_LISTED) > 0:
        blocks.append(_context(f"… and {more:,} more problems, counted in the total above"))
    return blocks


def _reply(headline: str) -> TemplateFn:
    def render(d: dict[str, Any]) -> list[Block]:
        if d.get("headline"):
            blocks = [_section(d["headline"])]
        else:
            blocks = [_section(f"{headline}\n{d['text']}" if d["text"] else headline)]
        if d.get("url"):
            blocks.append(_context(d["url"]))
        return blocks

    return render


def update(d: dict[str, Any]) -> list[Block]:
    more = f" ({d['coalesced']:,} updates)" if d.get("coalesced", 0) > 1 else ""
    text = d["text"] or f"Still happening: {d['count_text']} occurrences"
    return [_context(f":repeat: {text}{more} · {d['count_text']} occurrences")]


def approval_request(d: dict[str, Any]) -> list[Block]:
    return _reply(":raised_hand: *Approval needed* for the proposed fix")(d)


def escalation(d: dict[str, Any]) -> list[Block]:
    blocks = _reply(f":rotating_light: *Escalated to level {d['level']}*")(d)
    if d.get("mentions"):
        blocks.insert(0, _section(d["mentions"]))
    return blocks


def _report(icon: str) -> TemplateFn:
    """A scheduled report: its title, then its text (Slack mrkdwn written by the console,
    escaped here) a section per paragraph."""

    def render(d: dict[str, Any]) -> list[Block]:
        title = {"type": "plain_text", "text": f"{icon} {d['title']}", "emoji": True}
        paragraphs = d["raw"]["text"].split("\n\n")
        return [{"type": "header", "text": title}] + [
            _section(escape(part)) for part in paragraphs if part.strip()
        ]

    return render


DEFAULTS: dict[str, SlackBlockTemplate] = {
    t.name: t
    for t in (
        SlackBlockTemplate("new_alert", alert_card),
        SlackBlockTemplate("incident", incident_card),
        SlackBlockTemplate("update", update),
        SlackBlockTemplate("digest", update),
        SlackBlockTemplate("approval_request", approval_request),
        SlackBlockTemplate(
            "resolution_started", _reply(":hammer_and_wrench: *Automatic fix started*")
        ),
        SlackBlockTemplate("resolution_succeeded", _reply(":white_check_mark: *Fix succeeded*")),
        SlackBlockTemplate("resolution_failed", _reply(":x: *Fix failed*")),
        SlackBlockTemplate("rolled_back", _reply(":leftwards_arrow_with_hook: *Fix rolled back*")),
        SlackBlockTemplate("escalation", escalation),
        SlackBlockTemplate("resolved", _reply(":large_green_circle: *Resolved*")),
        # the seed's "metrics report" and "system health"
        SlackBlockTemplate("metrics_report", _report(":bar_chart:")),
        SlackBlockTemplate("system_health", _report(":stethoscope:")),
    )
}


def fallback_text(d: dict[str, Any]) -> str:
    """The plain ``text`` sent with blocks (notifications, screen readers): the configured
    headline (``notification_templates``) when there is one."""
    if d.get("headline"):
        return str(d["headline"])
    if d["kind"] == "new_alert":
        return f"[{d['severity']}] {d['title']} ({d['count_text']} occurrences): {d['status']}"
    if d["kind"] in REPORT_KINDS:
        return str(d["title"])
    if d["kind"] == "incident":
        return f"[{d['severity']}] {d['title']} ({d['count_text']} occurrences)"
    return f"[{d['severity']}] {d['title']}: {d['kind'].replace('_', ' ')}"
