"""On-call schedules: who ``@oncall`` is for a service at an instant. See docs/oncall.md.

The core is pure (:mod:`~shared.oncall.rotation`, :mod:`~shared.oncall.calendar`,
:mod:`~shared.oncall.resolve`): schedules, a service and an instant in, people out. The
:class:`OnCallDirectory` adds the one piece of I/O, fetching and caching iCalendar feeds; the
notifier, the console and the CLI each hold one.
"""

from shared.config.oncall import OnCallSection, Person, Schedule
from shared.oncall.directory import Answer, MentionLookup, OnCallDirectory
from shared.oncall.errors import CalendarError, CalendarInvalid, CalendarUnavailable
from shared.oncall.resolve import OnCall, covering, instant, mention_groups, on_call, who_is_on_call
from shared.oncall.views import answer_view

__all__ = [
    "Answer",
    "CalendarError",
    "CalendarInvalid",
    "CalendarUnavailable",
    "MentionLookup",
    "OnCall",
    "OnCallDirectory",
    "OnCallSection",
    "Person",
    "Schedule",
    "answer_view",
    "covering",
    "instant",
    "mention_groups",
    "on_call",
    "who_is_on_call",
]
