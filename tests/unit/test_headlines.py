"""A problem whose title holds a stack trace is named by its error where one line names it (a
Slack card's header, a GitHub issue's title, a Jira issue's summary, a PagerDuty page, a
mail's subject), and the whole title stays where there is room for it."""

from __future__ import annotations

from services.notifier.delivery.github_issue import issue_title
from services.notifier.delivery.jira_issue import issue_summary
from services.notifier.delivery.mail_message import body, subject
from services.notifier.delivery.pagerduty_events import build_event
from services.notifier.slack.message_data import message_data
from services.notifier.slack.rendering import Renderer
from shared.events import ErrorSummary, NotificationData, Severity, Target
from tests.notifications import notification_data

TRACEBACK = """Traceback (most recent call last):
  File "/app/worker.py", line 42, in run
    settle(job)
  File "/app/jobs.py", line 10, in settle
    raise ValueError("bad payload")
ValueError: bad payload"""


def _notification(target: Target, title: str = TRACEBACK) -> NotificationData:
    summary = ErrorSummary(title=title, severity=Severity.HIGH, service="orders")
    return notification_data(target, summary, kind="new_alert", level=1)


def test_a_traceback_title_is_named_by_its_error_where_one_line_names_the_problem() -> None:
    slack = _notification(Target(type="slack", channel="#alerts"))
    blocks, _ = Renderer().card(message_data(slack, root=None))
    assert blocks[0]["type"] == "header"
    assert blocks[0]["text"]["text"] == "ValueError: bad payload"
    assert issue_title(_notification(Target(type="github"))) == "[high] ValueError: bad payload"
    assert issue_summary(_notification(Target(type="jira"))) == "[high] ValueError: bad payload"
    page = build_event(
        _notification(Target(type="pagerduty", channel="orders")),
        Target(type="pagerduty", channel="orders"),
        routing_key="k" * 32,
        action="trigger",
        default_source="alertorch",
    )
    assert page["payload"]["summary"] == "[high] ValueError: bad payload"
    mail = _notification(Target(type="mail", channel="oncall@example.com"))
    assert subject(mail, "[alertorch]") == "[alertorch] [HIGH] new alert: ValueError: bad payload"
    assert body(mail).startswith(TRACEBACK + "\n")  # the whole title where there is room


def test_a_title_without_a_trace_is_named_as_it_is() -> None:
    title = "Connection to db-1 refused"
    assert issue_title(_notification(Target(type="github"), title)) == f"[high] {title}"
    assert ErrorSummary(title=title, severity=Severity.LOW).headline is title
