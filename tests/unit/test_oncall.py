"""Who is on call, as a pure function of the schedules, a service and an instant: daily and
weekly handovers at the local wall time across daylight-saving changes, layers, restrictions,
overrides with an end, an iCalendar feed with recurrences, and the settings' own checks."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import icalendar
import pytest
from pydantic import ValidationError

from services.cli.oncall import parse_time
from shared.config import load_settings
from shared.config.oncall import OnCallSection, Person, Schedule
from shared.errors import ConfigError
from shared.oncall import covering, instant, mention_groups, on_call, who_is_on_call
from shared.oncall.calendar import named, parse_calendar
from shared.oncall.errors import CalendarInvalid
from shared.oncall.fetch import http_address, where

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "oncall"
PEOPLE = ["U0ALICE", {"slack_user": "U0BOB", "name": "Bob"}, "U0CAROL"]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def schedule(zone: str = "Europe/Berlin", **more: Any) -> Schedule:
    layer = {"participants": PEOPLE, "start": "2025-03-03", **more.pop("layer", {})}
    return Schedule.model_validate(
        {"name": "platform", "time_zone": zone, "layers": [layer], **more}
    )


def who(found: Schedule, when: str) -> tuple[list[str], datetime | None]:
    answer = on_call(found, at(when))
    return [p.slack_user for p in answer.people], answer.until


def test_daily_handover_at_the_local_time() -> None:
    daily = schedule(layer={"handover": "daily", "handover_time": "09:00"})
    assert who(daily, "2025-03-03T08:59:00+01:00") == ([], at("2025-03-03T09:00:00+01:00"))
    assert who(daily, "2025-03-03T09:00:00+01:00") == (
        ["U0ALICE"],
        at("2025-03-04T09:00:00+01:00"),
    )
    assert who(daily, "2025-03-05T23:00:00+01:00")[0] == ["U0CAROL"]
    assert who(daily, "2025-03-06T08:59:59+01:00")[0] == ["U0CAROL"]
    assert who(daily, "2025-03-06T09:00:00+01:00")[0] == ["U0ALICE"]
    answer = on_call(daily, at("2025-03-04T12:00:00Z"))
    assert (answer.people[0].name, answer.source) == ("Bob", "layer 1")


def test_weekly_handover_on_its_weekday_and_shift_length() -> None:
    weekly = schedule(
        layer={"handover": "weekly", "handover_day": "wednesday", "handover_time": "10:30"}
    )
    # start 2025-03-03 is a Monday: the first shift begins on Wednesday the 5th
    assert who(weekly, "2025-03-05T10:29:00+01:00") == ([], at("2025-03-05T10:30:00+01:00"))
    assert who(weekly, "2025-03-10T12:00:00+01:00") == (
        ["U0ALICE"],
        at("2025-03-12T10:30:00+01:00"),
    )
    assert who(weekly, "2025-03-12T10:30:00+01:00")[0] == ["U0BOB"]
    fortnight = schedule(layer={"handover": "weekly", "shift_length": 2})
    assert who(fortnight, "2025-03-16T12:00:00+01:00") == (
        ["U0ALICE"],
        at("2025-03-17T09:00:00+01:00"),
    )


@pytest.mark.parametrize(
    ("zone", "before", "handover", "hours"),
    [
        # spring forward: the day before the 09:00 handover has 23 hours
        ("Europe/Berlin", "2025-03-29T09:00:00+01:00", "2025-03-30T09:00:00+02:00", 23),
        ("America/New_York", "2025-03-08T09:00:00-05:00", "2025-03-09T09:00:00-04:00", 23),
        # fall back: 25 hours
        ("Europe/Berlin", "2025-10-25T09:00:00+02:00", "2025-10-26T09:00:00+01:00", 25),
        ("America/New_York", "2025-11-01T09:00:00-04:00", "2025-11-02T09:00:00-05:00", 25),
    ],
)
def test_a_daily_handover_stays_at_the_wall_time_across_daylight_saving(
    zone: str, before: str, handover: str, hours: int
) -> None:
    daily = schedule(zone, layer={"handover": "daily", "start": "2025-01-01"})
    people, until = who(daily, before)
    assert until == at(handover)
    assert until - at(before) == timedelta(hours=hours)
    after, _ = who(daily, handover)
    just_before, _ = who(daily, (at(handover) - timedelta(seconds=1)).isoformat())
    assert just_before == people
    assert after != people


def test_a_weekly_shift_across_the_change_is_a_week_less_or_more_an_hour() -> None:
    weekly = schedule("America/New_York", layer={"handover_day": "monday"})
    _, until = who(weekly, "2025-03-03T09:00:00-05:00")
    assert until == at("2025-03-10T09:00:00-04:00")
    assert until - at("2025-03-03T09:00:00-05:00") == timedelta(days=7, hours=-1)
    _, until = who(weekly, "2025-10-27T09:00:00-04:00")
    assert until == at("2025-11-03T09:00:00-05:00")
    assert until - at("2025-10-27T09:00:00-04:00") == timedelta(days=7, hours=1)


def test_a_handover_in_the_skipped_hour_happens_after_the_jump_and_in_the_repeated_one_once() -> (
    None
):
    skipped = schedule("America/New_York", layer={"handover": "daily", "handover_time": "02:30"})
    _, until = who(skipped, "2025-03-08T12:00:00-05:00")
    assert until == at("2025-03-09T03:30:00-04:00")
    repeated = schedule("America/New_York", layer={"handover": "daily", "handover_time": "01:30"})
    _, until = who(repeated, "2025-11-01T12:00:00-04:00")
    assert until == at("2025-11-02T01:30:00-04:00")  # the first 01:30
    _, until = who(repeated, "2025-11-02T01:30:00-05:00")  # the second: no handover
    assert until == at("2025-11-03T01:30:00-05:00")


def test_a_higher_layer_wins_within_its_restriction() -> None:
    weekends = {
        "name": "weekend",
        "participants": ["U0DAVE1", "U0ERIN1"],
        "start": "2025-03-08",
        "handover_time": "00:00",
        "restriction": {"days": ["saturday"], "start": "00:00", "end": "00:00"},
    }
    layered = Schedule.model_validate(
        {
            "name": "platform",
            "time_zone": "Europe/Berlin",
            "layers": [{"participants": PEOPLE, "start": "2025-03-03"}, weekends],
        }
    )
    friday = on_call(layered, at("2025-03-07T20:00:00+01:00"))
    assert [p.slack_user for p in friday.people] == ["U0ALICE"]
    assert friday.until == at("2025-03-08T00:00:00+01:00")
    saturday = on_call(layered, at("2025-03-08T12:00:00+01:00"))
    assert ([p.slack_user for p in saturday.people], saturday.source) == (
        ["U0DAVE1"],
        "layer weekend",
    )
    assert saturday.until == at("2025-03-09T00:00:00+01:00")
    assert who(layered, "2025-03-15T12:00:00+01:00")[0] == ["U0ERIN1"]
    assert who(layered, "2025-03-16T12:00:00+01:00")[0] == ["U0BOB"]


def test_an_override_wins_until_its_end_then_the_rotation_is_back() -> None:
    overridden = schedule(
        overrides=[
            {
                "slack_user": "U0ZOE01",
                "name": "Zoe",
                "start": "2025-03-04T18:00:00+01:00",
                "end": "2025-03-05T08:00:00Z",
            },
            {"slack_user": "U0YAN01", "start": "2025-03-04T20:00:00Z", "end": "2025-03-04T21:00Z"},
        ]
    )
    before = on_call(overridden, at("2025-03-04T17:00:00+01:00"))
    assert [p.slack_user for p in before.people] == ["U0ALICE"]
    assert before.until == at("2025-03-04T18:00:00+01:00")
    during = on_call(overridden, at("2025-03-04T19:00:00+01:00"))
    assert (during.people[0].name, during.source) == ("Zoe", "override")
    assert during.until == at("2025-03-04T20:00:00Z")  # the later override takes over
    assert who(overridden, "2025-03-04T20:30:00Z")[0] == ["U0YAN01"]
    assert who(overridden, "2025-03-04T21:00:00Z") == (["U0ZOE01"], at("2025-03-05T08:00:00Z"))
    after = on_call(overridden, at("2025-03-05T08:00:00Z"))
    assert ([p.slack_user for p in after.people], after.source) == (["U0ALICE"], "layer 1")
    assert after.until == at("2025-03-10T09:00:00+01:00")


def test_the_calendar_with_recurrences_a_moved_occurrence_a_cover_and_an_override() -> None:
    calendar = parse_calendar((FIXTURES / "platform_oncall.ics").read_bytes())
    feed = Schedule.model_validate(
        {
            "name": "platform",
            "time_zone": "Europe/Berlin",
            "ical_url": "https://calendar.example.com/private/basic.ics",
            "people": {"Alice": "U0ALICE", "BOB@example.com": {"slack_user": "U0BOB"}},
            "overrides": [
                {
                    "slack_user": "U0ERIN1",
                    "start": "2025-03-25T18:00:00+01:00",
                    "end": "2025-03-26T09:00:00+01:00",
                }
            ],
        }
    )

    def answer(when: str) -> tuple[list[str], str, datetime | None]:
        found = on_call(feed, at(when), calendar)
        return [p.slack_user for p in found.people], found.source, found.until

    assert answer("2025-03-18T12:00:00Z") == (
        ["U0ALICE"],
        "calendar",
        at("2025-03-24T09:00:00+01:00"),
    )
    assert answer("2025-03-25T18:30:00+01:00") == (
        ["U0ERIN1"],
        "override",
        at("2025-03-26T09:00:00+01:00"),
    )
    # Bob, by his ATTENDEE line (his name from its CN); his shift ends after the spring-forward
    bob = on_call(feed, at("2025-03-26T09:00:00+01:00"), calendar)
    assert [(p.slack_user, p.name) for p in bob.people] == [("U0BOB", "Bob Baker")]
    assert bob.until == at("2025-03-31T09:00:00+02:00")
    # Alice's occurrence of the 31st was moved to Carol (RECURRENCE-ID, a mention in DESCRIPTION)
    assert answer("2025-04-01T12:00:00Z")[0] == ["U0CAROL"]
    # a cover entered on top of Carol's shift wins while it lasts
    assert answer("2025-04-05T12:00:00+02:00") == (
        ["U0DAVE1"],
        "calendar",
        at("2025-04-05T18:00:00+02:00"),
    )
    assert answer("2025-04-05T18:00:00+02:00")[0] == ["U0CAROL"]
    # an event naming nobody changes nothing, and is pointed out; a cancelled one is ignored
    offsite = on_call(feed, at("2025-04-09T12:00:00+02:00"), calendar)
    assert [p.slack_user for p in offsite.people] == ["U0BOB"]
    assert offsite.notes == (
        "the event 'Team offsite' names nobody: add that name to people, or write a Slack "
        "user id in it",
    )
    assert answer("2025-04-10T12:00:00+02:00")[0] == ["U0BOB"]
    assert answer("2025-04-14T12:00:00Z")[0] == ["U0ALICE"]  # every other week again
    unfetched = on_call(feed, at("2025-03-18T12:00:00Z"))
    assert (unfetched.people, unfetched.notes) == ((), ("the calendar has not been fetched yet",))


def test_who_an_event_names() -> None:
    people = {"alice": Person(slack_user="U0ALICE"), "bob@example.com": Person(slack_user="U0BOB")}

    def event(**properties: str) -> list[str]:
        found = icalendar.Event()
        for name, value in properties.items():
            found.add(name, value)
        return [p.slack_user for p in named(found, people)]

    assert event(summary="Alice, <@U0CAROL|carol>, U0DAVE1, WFH, Erin") == [
        "U0ALICE",
        "U0CAROL",
        "U0DAVE1",
    ]
    assert event(summary="Primary: bob@example.com") == ["U0BOB"]
    assert event(summary="WFH", description="covered by <@U0ERIN1>") == ["U0ERIN1"]
    assert event(summary="Holiday", attendee="mailto:BOB@example.com") == ["U0BOB"]
    assert event(summary="Holiday") == []


def test_not_a_calendar_is_refused() -> None:
    for data in (b"<html>Sign in</html>", b"BEGIN:VEVENT\r\nEND:VEVENT\r\n"):
        with pytest.raises(CalendarInvalid, match="not an iCalendar document"):
            parse_calendar(data)


def test_service_schedules_then_the_default_and_what_oncall_stands_for() -> None:
    base = {"participants": ["U0ALICE"], "start": "2025-01-01"}
    section = OnCallSection.model_validate(
        {
            "schedules": [
                {"name": "default", "layers": [base]},
                {"name": "checkout", "services": ["checkout-api"], "layers": [base]},
                {
                    "name": "checkout-db",
                    "services": ["checkout-api"],
                    "layers": [{**base, "participants": ["U0DBA01"]}],
                },
                {
                    "name": "managers",
                    "mention": "management",
                    "services": ["checkout-api"],
                    "layers": [{**base, "start": "2099-01-01"}],
                },
            ]
        }
    )
    names = [s.name for s in covering(section.schedules, "checkout-api")]
    assert names == ["checkout", "checkout-db", "managers"]
    assert [s.name for s in covering(section.schedules, "billing")] == ["default"]
    assert [s.name for s in covering(section.schedules, None)] == ["default"]
    now = at("2025-06-02T12:00:00Z")
    found = who_is_on_call(section.schedules, "checkout-api", now)
    # nobody on call for management yet: it is left out, so it falls back to mention_groups
    assert mention_groups(found) == {"oncall": ["U0ALICE", "U0DBA01"]}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"time_zone": "Mars/Olympus_Mons"}, "unknown time zone 'Mars/Olympus_Mons'"),
        ({"layers": []}, "either layers or an ical_url"),
        ({"ical_url": "ftp://x/y.ics"}, "either layers or an ical_url"),
        ({"layers": [{"participants": ["alice"], "start": "2025-01-01"}]}, "String should match"),
        (
            {"layers": [{"participants": ["U0A1"], "start": "2025-01-01", "handover_time": 540}]},
            'write the time of day in quotes, as "HH:MM"',
        ),
        (
            {
                "overrides": [
                    {"slack_user": "U0A1", "start": "2025-03-01T10:00", "end": "2025-03-02"}
                ]
            },
            "Input should have timezone info",
        ),
        (
            {
                "overrides": [
                    {
                        "slack_user": "U0A1",
                        "start": "2025-03-02T10:00:00Z",
                        "end": "2025-03-01T10:00:00Z",
                    }
                ]
            },
            "ends before it starts",
        ),
    ],
)
def test_bad_schedules_are_refused(change: dict[str, Any], message: str) -> None:
    given = {"name": "p", "layers": [{"participants": ["U0A1"], "start": "2025-01-01"}]}
    with pytest.raises(ValidationError, match=message):
        Schedule.model_validate({**given, **change})


def test_config_errors_name_the_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text(
        "oncall:\n"
        "  schedules:\n"
        "    - name: platform\n"
        "      time_zone: Europe/Berlim\n"
        "      layers:\n"
        "        - participants: [U0ALICE]\n"
        "          start: 2025-03-03\n"
        "          handover_time: 9:00\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path)
    problems = caught.value.problems
    assert any(
        p.startswith(f"{tmp_path / 'config.yaml'}:4: oncall.schedules.0.time_zone:")
        and "unknown time zone 'Europe/Berlim'" in p
        for p in problems
    ), problems
    assert any(
        p.startswith(f"{tmp_path / 'config.yaml'}:8: oncall.schedules.0.layers.0.handover_time")
        for p in problems
    ), problems


def test_a_webcal_address_is_fetched_over_https() -> None:
    assert (
        http_address("webcal://calendar.example.com/x.ics") == "https://calendar.example.com/x.ics"
    )
    assert http_address("http://127.0.0.1:8080/x.ics") == "http://127.0.0.1:8080/x.ics"
    assert where("webcal://calendar.example.com/private-secret/x.ics") == "calendar.example.com"


def test_an_instant_needs_its_offset_and_a_sane_year() -> None:
    with pytest.raises(ValueError, match="has no UTC offset"):
        instant(datetime(2025, 3, 1, 12))
    with pytest.raises(ValueError, match=r"outside 1970\.\.2199"):
        instant(at("9999-01-01T00:00:00+00:00"))


def test_the_cli_s_times() -> None:
    now = at("2025-03-29T19:00:00.250000+00:00").timestamp()
    assert parse_time("now", now) == at("2025-03-29T19:00:00Z")
    assert parse_time("+2h", now) == at("2025-03-29T21:00:00.25Z")
    assert parse_time("-1d", now) == at("2025-03-28T19:00:00.25Z")
    assert parse_time("2025-03-30T09:00:00+02:00", now) == at("2025-03-30T07:00:00Z")
    assert parse_time("2025-03-30T07:00Z", now) == at("2025-03-30T07:00:00Z")
    for bad in ("yesterday", "+2x", "2025-03-30 09:00"):
        with pytest.raises(ValueError, match=r"is not a time|has no UTC offset"):
            parse_time(bad, now)
