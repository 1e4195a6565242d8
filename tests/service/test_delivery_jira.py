"""The Jira target against the local fake Jira (Cloud REST v3 and Data Center REST v2), alone and
through the notifier's outbox on its real store: one issue per problem, kept across restarts and
redeliveries; a resolution closes it once; refusals fail for good with Jira's words; rate limits
wait for ``Retry-After`` without using up attempts."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from services.notifier.delivery.base import SEND_LEASE_SECONDS
from services.notifier.delivery.jira import JiraIssues, KnownIssue
from services.notifier.delivery.jira_answers import SERVER_ERROR_RETRY_SECONDS as RETRY
from services.notifier.delivery.jira_tables import SCHEMA as JIRA_SCHEMA
from services.notifier.delivery.jira_tables import issues
from services.notifier.dispatcher import Dispatcher
from services.notifier.outbox import Outbox
from services.notifier.policy.levels import EscalationLevel
from shared.clock import ManualClock
from shared.config.integrations import JiraIntegration
from shared.events import (
    ErrorSummary,
    NotificationData,
    Severity,
    Target,
)
from shared.storage import Database
from tests import notifications
from tests.delivery import failed_for_good, skipped_quietly
from tests.fakes.jira import FakeJira, Flavour
from tests.fakes.server import served
from tests.notifications import Audits, deliver, mid_send, notification_data, notification_event
from tests.procs import free_port_block
from tests.storage import migrated

JIRA = Target(type="jira", channel="OPS")


def _data(kind: Any = "escalation", **changes: Any) -> NotificationData:
    return notification_data(JIRA, kind=kind, **changes)


@pytest.fixture
def cloud() -> Iterator[tuple[FakeJira, str]]:
    with served(FakeJira("cloud")) as jira:
        yield jira


def _jira(
    url: str,
    http: httpx.AsyncClient,
    store: Database,
    *,
    token: str | None = "jira-token",
    clock: ManualClock | None = None,
    **config: Any,
) -> JiraIssues:
    settings = {"enabled": True, "url": url, "user_email": "ops@example.com", **config}
    return JiraIssues(
        JiraIntegration(**settings),
        http=http,
        database=store,
        site_url=None,
        token=token,
        wall_clock=(clock or ManualClock()).time,
    )


def _dispatcher(jira: JiraIssues, store: Database, clock: ManualClock) -> Dispatcher:
    return Dispatcher(
        outbox=Outbox(store, clock=clock),
        integrations={"jira": jira},
        publisher=Audits(),
        clock=clock,
    )


async def test_one_issue_per_problem_in_rest_v3_and_later_notifications_comment(
    cloud: tuple[FakeJira, str], http: httpx.AsyncClient, store: Database
) -> None:
    server, url = cloud
    jira = _jira(url, http, store)
    opened = await jira.handle_escalation(_data(), JIRA)
    assert opened.delivered
    assert opened.reference == f"{url}/browse/OPS-1"
    [(method, path, request)] = server.requests
    assert (method, path) == ("POST", "/rest/api/3/issue")
    fields = request["fields"]
    assert fields["project"] == {"key": "OPS"}
    assert fields["issuetype"] == {"name": "Bug"}
    assert fields["summary"] == "[high] Boom @channel"
    assert fields["labels"] == ["alertorch"]
    assert fields["description"]["type"] == "doc"
    blocks = [n for n in fields["description"]["content"] if n["type"] == "codeBlock"]
    assert [b["content"][0]["text"] for b in blocks] == [
        "Boom @channel",
        "level 2 not acknowledged within 30 min",
    ]
    assert (await jira.known_issue("OPS", "fp-42")) is not None

    again = await jira.send_notification(_data("update", text="acknowledged by bob"), JIRA)
    assert again.delivered
    assert server.calls["create"] == 1
    [comment] = server.issues["OPS-1"]["comments"]
    assert comment["body"]["content"][0]["content"][0]["text"] == (
        "update at escalation level 3 (severity high, 1 occurrences)"
    )
    assert again.reference == f"{url}/browse/OPS-1?focusedCommentId={comment['id']}"

    quiet = _jira(url, http, store, comment_on_repeat=False)  # a restart, on the same store
    result = await quiet.send_notification(_data(), JIRA)
    assert result.details == {"issue": "OPS-1", "skipped": "the problem has an issue"}
    assert (server.calls["create"], server.calls["comment"]) == (1, 1)


async def test_a_redelivered_notification_opens_no_second_issue(
    cloud: tuple[FakeJira, str], http: httpx.AsyncClient, store: Database
) -> None:
    server, url = cloud
    clock = ManualClock()
    event = notification_event(_data("new_alert"))
    await deliver(_dispatcher(_jira(url, http, store, clock=clock), store, clock), event)
    # the notifier restarts and the broker delivers the notification again
    restarted = _dispatcher(_jira(url, http, store, clock=clock), store, clock)
    await deliver(restarted, event)
    assert (server.calls["create"], server.calls["comment"]) == (1, 0)
    # the same notification reaching the target again (its outbox row lost) comments instead
    await _jira(url, http, store).send_notification(event.data, JIRA)
    assert (server.calls["create"], server.calls["comment"]) == (1, 1)
    assert list(server.issues) == ["OPS-1"]
    assert await restarted.outbox.counts() == {"sent": 1}


async def test_a_resolution_closes_the_issue_once_and_a_recurrence_opens_a_new_one(
    cloud: tuple[FakeJira, str], http: httpx.AsyncClient, store: Database
) -> None:
    server, url = cloud
    jira = _jira(url, http, store)
    assert (await jira.send_notification(_data("new_alert"), JIRA)).delivered
    closed = await jira.send_notification(_data("resolved", text="resolved by source"), JIRA)
    assert closed.delivered
    assert closed.details == {"issue": "OPS-1", "transition": "Done"}
    assert [(m, p) for m, p, _ in server.requests[1:]] == [
        ("GET", "/rest/api/3/issue/OPS-1/transitions"),
        ("POST", "/rest/api/3/issue/OPS-1/transitions"),
    ]
    assert server.requests[-1][2] == {"transition": {"id": "31"}}
    assert (server.issues["OPS-1"]["transitioned"], server.issues["OPS-1"]["status"]) == (
        "Done",
        "Closed",
    )

    again = await jira.send_notification(_data("resolved"), JIRA)
    assert again.details == {"issue": "OPS-1", "skipped": "the issue was told already"}
    late = await jira.send_notification(_data("escalation"), JIRA)  # a retry from before
    assert late.details == {"issue": "OPS-1"}
    assert list(server.issues) == ["OPS-1"]

    back = await jira.send_notification(_data("new_alert"), JIRA)  # the problem came back
    assert back.reference == f"{url}/browse/OPS-2"
    assert (await jira.known_issue("OPS", "fp-42")) is not None
    assert server.calls["transitions:POST"] == 1


async def test_resolving_comments_when_asked_or_when_the_workflow_has_no_such_transition(
    cloud: tuple[FakeJira, str], http: httpx.AsyncClient, store: Database
) -> None:
    server, url = cloud
    odd = _jira(url, http, store, close_transition="Ship it")
    assert (await odd.send_notification(_data("new_alert"), JIRA)).delivered
    result = await odd.send_notification(_data("resolved", text="resolved by ana"), JIRA)
    assert result.delivered
    assert (
        result.details["note"]
        == "no transition 'Ship it' from the issue's status: commented instead"
    )
    assert server.issues["OPS-1"]["status"] == "To Do"

    other = Target(type="jira", channel="WEB")
    commenting = _jira(url, http, store, on_resolve="comment")
    assert (await commenting.send_notification(_data("new_alert"), other)).delivered
    assert (await commenting.send_notification(_data("resolved"), other)).delivered
    assert [
        c["body"]["content"][0]["content"][0]["text"] for c in server.issues["WEB-1"]["comments"]
    ] == ["resolved at escalation level 3 (severity high, 1 occurrences)"]
    assert server.calls["transitions:POST"] == 0
    none = await _jira(url, http, store).send_notification(
        _data("resolved", fingerprint="fp-never-opened"), JIRA
    )
    assert none.details == {"skipped": "the problem has no Jira issue"}


async def test_a_429_waits_for_retry_after_without_using_up_attempts(
    cloud: tuple[FakeJira, str], http: httpx.AsyncClient, store: Database
) -> None:
    server, url = cloud
    server.rate_limited, server.retry_after = 2, 45
    clock = ManualClock()
    jira = _jira(url, http, store, clock=clock)
    limited = await jira.send_notification(_data(), JIRA)
    assert (limited.rate_limited, limited.retry_after, limited.permanent) == (True, 45, False)
    assert limited.error == "Jira rate limit (429)"

    dispatcher = _dispatcher(jira, store, clock)
    await deliver(dispatcher, notification_event(_data()))
    clock.advance(44)
    assert await dispatcher.send_due() == 0
    clock.advance(2)
    assert await dispatcher.send_due() == 1
    assert await dispatcher.outbox.counts() == {"sent": 1}
    assert list(server.issues) == ["OPS-1"]
    assert server.calls["create"] == 3


async def test_invalid_requests_fail_for_good_with_jiras_words(
    cloud: tuple[FakeJira, str], http: httpx.AsyncClient, store: Database
) -> None:
    server, url = cloud
    clock = ManualClock()
    unknown = await _jira(url, http, store).send_notification(
        _data(), Target(type="jira", channel="NOPE")
    )
    assert unknown.permanent
    assert unknown.error == "Jira answered 400: project: Specify a valid project ID or key"

    wrong = _jira(url, http, store, clock=clock, issue_type="Epic", labels=["on-call"])
    recorder = Audits()
    dispatcher = Dispatcher(
        outbox=Outbox(store, clock=clock),
        integrations={"jira": wrong},
        publisher=recorder,
        clock=clock,
    )
    await deliver(dispatcher, notification_event(_data()))
    clock.advance(3600)
    assert await dispatcher.send_due() == 0, "a refused request is not retried"
    assert await dispatcher.outbox.counts() == {"failed": 1}
    [audit] = recorder.records
    assert audit.data.outcome == "failed"
    assert audit.data.details["error"] == (
        "Jira answered 400: issuetype: The issue type selected is invalid."
    )
    assert server.issues == {}
    assert await wrong.known_issue("OPS", "fp-42") is None


async def test_bad_credentials_and_missing_settings_fail_for_good(
    cloud: tuple[FakeJira, str], http: httpx.AsyncClient, store: Database
) -> None:
    _, url = cloud
    denied = await _jira(url, http, store, token="wrong").send_notification(_data(), JIRA)
    assert denied.permanent
    assert (
        denied.error == "Jira answered 401: Client must be authenticated to access this resource."
    )

    for site, config, channel, needs in (
        (url, {"token": None}, "OPS", "JIRA_TOKEN"),
        ("", {}, "OPS", "JIRA_URL"),
        (url, {"user_email": ""}, "OPS", "integrations.jira.user_email"),
        (url, {"project_key": ""}, None, "integrations.jira.project_key"),
    ):
        result = await _jira(site, http, store, **config).send_notification(
            _data(), Target(type="jira", channel=channel)
        )
        failed_for_good(result, needs)

    off = JiraIssues(JiraIntegration(), http=http, database=store, site_url=url, token="t")
    skipped = await off.send_notification(_data(), JIRA)
    skipped_quietly(skipped, "integrations.jira.enabled")


async def test_outages_and_no_connection_are_retried(
    cloud: tuple[FakeJira, str], http: httpx.AsyncClient, store: Database
) -> None:
    server, url = cloud
    server.failing = 1
    outage = await _jira(url, http, store).send_notification(_data(), JIRA)
    assert (outage.retry_after, outage.rate_limited) == (30.0, False)
    closed = f"http://127.0.0.1:{free_port_block(1)}"
    down = await _jira(closed, http, store).send_notification(_data(), JIRA)
    assert down.retry_after is not None
    assert not down.permanent


async def test_data_center_speaks_rest_v2_with_a_personal_access_token(
    http: httpx.AsyncClient, store: Database
) -> None:
    with served(FakeJira("data_center", token="pat-123")) as (server, url):
        jira = _jira(url, http, store, token="pat-123", flavour="data_center", user_email="")
        title = "Boom {noformat} [~admin] @channel"
        opened = await jira.send_notification(
            _data("new_alert", summary=ErrorSummary(title=title, severity=Severity.HIGH)), JIRA
        )
        assert opened.reference == f"{url}/browse/OPS-1"
        assert (await jira.send_notification(_data("update"), JIRA)).delivered
        assert (await jira.send_notification(_data("resolved"), JIRA)).delivered
        server.rate_limited, server.retry_after = 1, 20  # Data Center's rate limiter
        limited = await jira.send_notification(_data(fingerprint="fp-8"), JIRA)
        assert (limited.rate_limited, limited.retry_after, limited.permanent) == (True, 20, False)
        denied = await _jira(
            url, http, store, token="wrong", flavour="data_center"
        ).send_notification(_data(fingerprint="fp-9"), JIRA)
    assert [(m, p) for m, p, _ in server.requests[:4]] == [
        ("POST", "/rest/api/2/issue"),
        ("POST", "/rest/api/2/issue/OPS-1/comment"),
        ("GET", "/rest/api/2/issue/OPS-1/transitions"),
        ("POST", "/rest/api/2/issue/OPS-1/transitions"),
    ]
    description = server.issues["OPS-1"]["fields"]["description"]
    assert isinstance(description, str)
    assert "{noformat}\nBoom { noformat} [~admin] @channel\n{noformat}" in description
    assert description.count("{noformat}") % 2 == 0, "the error's text cannot close a block"
    [comment] = server.issues["OPS-1"]["comments"]
    assert comment["body"].startswith("update at escalation level 3 (severity high")
    assert server.issues["OPS-1"]["status"] == "Closed"
    assert denied.error == (
        "Jira answered 401: You are not authenticated. Authentication required to perform "
        "this operation."
    )


async def test_concurrent_notifications_for_one_problem_open_one_issue(
    cloud: tuple[FakeJira, str], http: httpx.AsyncClient, store: Database
) -> None:
    server, url = cloud
    jira = _jira(url, http, store)
    results = await asyncio.gather(*(jira.send_notification(_data(), JIRA) for _ in range(3)))
    assert all(r.delivered for r in results)
    assert (server.calls["create"], server.calls["comment"]) == (1, 2)


async def test_a_rules_jira_action_names_the_project_and_labels_the_issue(
    cloud: tuple[FakeJira, str], http: httpx.AsyncClient, store: Database
) -> None:
    level = EscalationLevel.model_validate(
        {
            "name": "Team",
            "actions": [{"type": "jira_issue", "project": "WEB", "labels": ["database", "p1"]}],
        }
    )
    [target] = level.targets()
    assert (target.type, target.channel, target.mentions) == (
        "jira",
        "WEB",
        ["label:database", "label:p1"],
    )
    server, url = cloud
    assert (await _jira(url, http, store).send_notification(_data(), target)).delivered
    assert server.issues["WEB-1"]["fields"]["labels"] == ["database", "p1"]
    default = await _jira(url, http, store, project_key="OPS").send_notification(
        _data(fingerprint="fp-2"), Target(type="jira")
    )
    assert default.reference == f"{url}/browse/OPS-1"


async def test_issues_are_remembered_per_problem_and_project_on_both_backends(
    cloud: tuple[FakeJira, str], http: httpx.AsyncClient, storage_url: str
) -> None:
    server, url = cloud
    web = Target(type="jira", channel="WEB")
    async with migrated(storage_url, JIRA_SCHEMA) as database:
        jira = _jira(url, http, database)
        for data, target in ((_data(), JIRA), (_data(), web), (_data(fingerprint="fp-7"), JIRA)):
            assert (await jira.send_notification(data, target)).delivered
        assert (await jira.send_notification(_data("resolved"), JIRA)).delivered
        assert (await jira.send_notification(_data("new_alert"), JIRA)).delivered  # came back
    async with (
        migrated(storage_url, JIRA_SCHEMA) as reopened,  # a restart
        reopened.transaction() as db,
    ):
        rows = await db.execute(
            select(issues.c.project, issues.c.fingerprint, issues.c.issue_key)
            .where(issues.c.resolved_at.is_(None))
            .order_by(issues.c.project, issues.c.fingerprint)
        )
        found = [tuple(row) for row in rows]
    assert found == [("OPS", "fp-42", "OPS-3"), ("OPS", "fp-7", "OPS-2"), ("WEB", "fp-42", "WEB-1")]
    assert server.calls["create"] == 4


#: Each flavour of Jira, and the settings that reach it.
BOTH_FLAVOURS = pytest.mark.parametrize(
    ("flavour", "settings"),
    [
        ("cloud", {}),
        ("data_center", {"flavour": "data_center", "user_email": "", "token": "pat-123"}),
    ],
)


@BOTH_FLAVOURS
async def test_an_issue_whose_opening_got_no_answer_is_found_not_opened_again(
    flavour: Flavour, settings: dict[str, Any], http: httpx.AsyncClient, store: Database
) -> None:
    """Jira opened the issue, but its answer came after the client gave up: the retry finds it
    by searching the project (the issue of another problem does not count) and records it;
    there is one issue, and a later notification comments on it."""
    token = settings.get("token", "jira-token")
    with served(FakeJira(flavour, token=token)) as (server, url):
        clock = ManualClock()
        jira = _jira(url, http, store, clock=clock, timeout_seconds=0.5, **settings)
        assert (await jira.send_notification(_data(fingerprint="other"), JIRA)).delivered
        server.answers_held = 1
        dispatcher = _dispatcher(jira, store, clock)
        event = notification_event(_data("new_alert"))
        row = await notifications.sent_after_a_lost_answer(
            dispatcher, clock, event, "jira:OPS", RETRY
        )
        assert row.reference == f"{url}/browse/OPS-2", row
        assert (server.calls["create"], server.calls["search"]) == (2, 1)
        assert (await jira.known_issue("OPS", "fp-42")) == KnownIssue("OPS-2", resolved=False)
        await deliver(dispatcher, notification_event(_data("update")))
        assert list(server.issues) == ["OPS-1", "OPS-2"]
        assert len(server.issues["OPS-2"]["comments"]) == 1


@BOTH_FLAVOURS
@pytest.mark.parametrize(
    ("earlier", "kind"),
    [("update", "update"), ("update", "resolved"), ("resolved", "update")],
    ids=["update", "resolution", "update-after-resolution"],
)
async def test_a_comment_whose_answer_was_lost_is_found_not_made_again(
    flavour: Flavour,
    settings: dict[str, Any],
    http: httpx.AsyncClient,
    store: Database,
    earlier: str,
    kind: str,
) -> None:
    """Jira made the comment (a later notification's, a resolution's under ``on_resolve:
    comment``, or an update's on the issue a resolution commented on), but its answer came
    after the client gave up: the retry finds it among the issue's comments by the line naming
    its notification, and makes no second one."""
    token = settings.get("token", "jira-token")
    with served(FakeJira(flavour, token=token)) as (server, url):
        clock = ManualClock()
        jira = _jira(
            url, http, store, clock=clock, timeout_seconds=0.5, on_resolve="comment", **settings
        )
        assert (await jira.send_notification(_data("new_alert"), JIRA)).delivered
        await jira.send_notification(_data(earlier, text="earlier"), JIRA)  # another comment
        server.answers_held = 1
        dispatcher = _dispatcher(jira, store, clock)
        event = notification_event(_data(kind))
        row = await notifications.sent_after_a_lost_answer(
            dispatcher, clock, event, "jira:OPS", RETRY
        )
        [_, second] = server.issues["OPS-1"]["comments"]
        assert row.reference == f"{url}/browse/OPS-1?focusedCommentId={second['id']}", row
        assert (server.calls["comment"], server.calls["comments"]) == (2, 1)


async def test_a_recurrence_whose_opening_was_cut_short_is_not_taken_for_the_closed_issue(
    cloud: tuple[FakeJira, str], http: httpx.AsyncClient, store: Database
) -> None:
    """The problem's closed issue names its fingerprint too: a recurrence whose opening a stop
    cut short before it left finds no new issue and opens one, once."""
    server, url = cloud
    clock = ManualClock()
    jira = _jira(url, http, store, clock=clock)
    assert (await jira.send_notification(_data("new_alert"), JIRA)).delivered
    assert (await jira.send_notification(_data("resolved"), JIRA)).delivered
    dispatcher = _dispatcher(jira, store, clock)
    event = notification_event(_data("new_alert"))
    await mid_send(dispatcher.outbox, [event], "jira:OPS", lease_until=clock.time() + 1)
    clock.advance(SEND_LEASE_SECONDS)
    assert await dispatcher.send_due() == 1
    assert server.calls["search"] == 1
    assert list(server.issues) == ["OPS-1", "OPS-2"]
    assert (await jira.known_issue("OPS", "fp-42")) == KnownIssue("OPS-2", resolved=False)
