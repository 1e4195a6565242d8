"""GitHub issue text (untrusted text cannot mention, link or break out) and what answers mean."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from services.notifier.delivery.github_answers import problem, rate_limit_wait
from services.notifier.delivery.github_issue import comment_body, issue_body, issue_title
from services.notifier.delivery.identity import notification_key
from shared.events import NotificationData, Target
from shared.github_markdown import fenced, inline_code
from tests.notifications import error_summary, notification_data

NOW = 1_700_000_000.0


def _notification(**changes: Any) -> NotificationData:
    summary = error_summary(**{"title": "Boom @channel see #12", **changes.pop("summary", {})})
    return notification_data(Target(type="github"), summary, **changes)


def test_untrusted_text_sits_in_code_that_github_does_not_render() -> None:
    hostile = "```\n@octocat ping\n```"
    body = issue_body(_notification(summary={"title": hostile}))
    fence = "````"
    assert f"{fence}text\n{hostile}\n{fence}" in body
    assert fenced("plain") == "```text\nplain\n```"
    assert inline_code("a`b") == "`` a`b ``"
    assert "- fingerprint: `fp-42`" in body
    assert "- details: <https://sentry.example.com/issues/42/>" in body


def test_a_url_that_could_break_out_of_its_link_is_shown_as_code() -> None:
    body = issue_body(_notification(summary={"url": "https://x.example/>[click](https://evil)"}))
    assert "- details: `https://x.example/>[click](https://evil)`" in body


def test_title_is_one_line_and_fits_githubs_limit() -> None:
    title = issue_title(_notification(summary={"title": "a\nb" + "x" * 400}))
    assert "\n" not in title
    assert len(title) == 256
    assert title.startswith("[critical] a b")


def test_a_comment_names_the_kind_and_level_after_a_hidden_line_naming_its_notification() -> None:
    hidden, head = comment_body(_notification()).splitlines()[:2]
    assert head.startswith("**escalation** at escalation level 3")
    assert hidden == f"<!-- alertorch notification {notification_key(_notification())} -->"
    other = comment_body(_notification(text="another text")).splitlines()[0]
    assert other != hidden


def _answer(status: int, headers: dict[str, str] | None = None, **body: Any) -> httpx.Response:
    return httpx.Response(status, json=body, headers=headers or {})


@pytest.mark.parametrize(
    ("response", "wait"),
    [
        (_answer(403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(NOW + 90)}), 90),
        (_answer(429, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(NOW - 5)}), 1),
        (_answer(403, {"retry-after": "42"}, message="secondary rate limit"), 42),
        (_answer(403, {"retry-after": "Tue, 14 Nov 2023 22:14:02 GMT"}), 42),  # NOW + 42
        (_answer(429, {"retry-after": "soon"}), 60),
        (_answer(429), 60),
        (_answer(403, message="You have exceeded a secondary rate limit."), 60),
        (_answer(403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(NOW + 1e4)}), 3600),
        (
            _answer(
                403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(NOW * 1e3 + 12e4)}
            ),
            120,
        ),
        (_answer(403, message="Resource not accessible by integration"), None),
        (_answer(401, message="Bad credentials"), None),
    ],
)
def test_rate_limit_answers_say_how_long_to_wait(response: httpx.Response, wait: float) -> None:
    assert rate_limit_wait(response, NOW, 60.0) == wait


@pytest.mark.parametrize(
    ("status", "later"),
    [(401, False), (404, False), (410, False), (422, False), (500, True), (502, True)],
)
def test_refusals_are_permanent_and_outages_are_retried(status: int, later: bool) -> None:
    result = problem(_answer(status, message="nope"), NOW, 60.0)
    assert not result.delivered
    assert result.permanent is not later
    assert f"GitHub answered {status}" in (result.error or "")
