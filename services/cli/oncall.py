"""``alertorch oncall``: who is on call, per schedule (``oncall.schedules`` in config.yaml), now
or at ``--at TIME``, and until when; ``--service`` shows the schedules that answer for that
service's ``@oncall``. iCalendar feeds are fetched once. No broker is needed."""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from services.cli.common import add_config_dir, settings_or_exit
from shared.durations import parse_duration
from shared.oncall import Answer, OnCallDirectory, answer_view, instant

TIME_FORMS = "ISO 8601 with its offset (2025-03-30T09:00:00+02:00, or Z), now, +2h or -1d"


def parse_time(text: str, now: float) -> datetime:
    """``text`` as an instant: ISO 8601 with an offset, ``now``, or ``+``/``-`` a duration."""
    word = text.strip()
    current = datetime.fromtimestamp(now, UTC)
    if word.lower() == "now":
        return current.replace(microsecond=0)
    if word[:1] in "+-" and word[1:2].isdigit():
        try:
            seconds = parse_duration(word[1:])
        except ValueError:
            raise ValueError(f"{text!r} is not a time: write {TIME_FORMS}") from None
        return instant(current + timedelta(seconds=seconds if word[0] == "+" else -seconds))
    try:
        found = datetime.fromisoformat(word)
    except ValueError:
        raise ValueError(f"{text!r} is not a time: write {TIME_FORMS}") from None
    return instant(found)


def _time(text: str) -> datetime:
    try:
        return parse_time(text, time.time())
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "oncall", help="who is on call per schedule, and until when (now or at a time)"
    )
    parser.add_argument(
        "--at", type=_time, default=None, metavar="TIME", help=f"the instant: {TIME_FORMS}"
    )
    parser.add_argument(
        "--service",
        default=None,
        metavar="NAME",
        help="only the schedules that answer for this service's @oncall",
    )
    parser.add_argument("--json", action="store_true", help="one JSON document")
    add_config_dir(parser)
    parser.set_defaults(run=run)


def line(answer: Answer) -> str:
    """``platform (checkout-api; @oncall): Alice (U0ALICE) until Mon 31 Mar 2025 09:00 CEST
    [layer primary]``, and a line for each note."""
    on_call = answer.on_call
    schedule = on_call.schedule
    scope = ", ".join(schedule.services) or "default"
    people = on_call.people
    who = ", ".join(f"{p.name} ({p.slack_user})" if p.name else p.slack_user for p in people)
    until = on_call.until.astimezone(ZoneInfo(schedule.time_zone)) if on_call.until else None
    when = f" until {until:%a %d %b %Y %H:%M %Z}" if until else ""
    why = f" [{on_call.source}]" if on_call.source else ""
    notes = [*on_call.notes]
    if answer.feed is not None and answer.feed.error:
        notes.append(f"calendar: {answer.feed.error}")
    head = f"{schedule.name} ({scope}; @{schedule.mention}): {who or 'nobody'}{when}{why}"
    return "\n".join([head, *(f"  note: {note}" for note in notes)])


def run(args: argparse.Namespace) -> int:
    settings = settings_or_exit(args.config_dir)
    at: datetime = args.at or datetime.now(UTC).replace(microsecond=0)
    directory = OnCallDirectory(settings.oncall)
    answers = asyncio.run(directory.answers(at, args.service))
    if args.json:
        items = [answer_view(a) for a in answers]
        print(json.dumps({"at": at.isoformat(), "service": args.service, "items": items}, indent=2))
        return 0
    if not settings.oncall.schedules:
        print("no on-call schedules (oncall.schedules): @oncall is slack.mention_groups' oncall")
        return 0
    if not answers:
        print(f"no schedule answers for {args.service}: @oncall is slack.mention_groups' oncall")
        return 0
    print(f"on call at {at.isoformat()}:")
    for answer in answers:
        print(line(answer))
    return 0
