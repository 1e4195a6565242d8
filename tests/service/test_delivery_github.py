"""The GitHub target against the local fake GitHub issues API: one issue per problem, kept in
the database across restarts (SQLite and PostgreSQL); refusals fail for good; rate limits wait
for their reset."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from services.notifier.delivery.base import SEND_LEASE_SECONDS
from services.notifier.delivery.github import GitHubIssues
from services.notifier.delivery.github_answers import SERVER_ERROR_RETRY_SECONDS as RETRY
from services.notifier.delivery.github_tables import SCHEMA, issues
from services.notifier.dispatcher import Dispatcher
from services.notifier.outbox import Outbox
from shared.clock import ManualClock
from shared.config.integrations import GithubIntegration
from shared.events import NotificationData, Target
from shared.storage import Database
from tests import notifications
from tests.delivery import failed_for_good, skipped_quietly
from tests.fakes.github import FakeGitHub
from tests.fakes.server import served
from tests.notifications import Audits, deliver, mid_send, notification_data, notification_event
from tests.procs import free_port_block
from tests.storage import migrated

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "delivery"
REPO = "acme/web"
GITHUB = Target(type="github", channel=REPO)
NOW = 1_700_000_000.0


def _notification(kind: Any = "escalation", **changes: Any) -> NotificationData:
    return notification_data(GITHUB, kind=kind, **changes)


@pytest.fixture
def fake() -> Iterator[tuple[FakeGitHub, str]]:
    with served(FakeGitHub()) as github:
        yield github


def _github(
    url: str,
    http: httpx.AsyncClient,
    store: Database,
    token: str | None = "ghp_test",
    **config: Any,
) -> GitHubIssues:
    settings = {"enabled": True, "api_url": url, "repository": "acme/default", **config}
    return GitHubIssues(
        GithubIntegration(**settings),
        http=http,
        database=store,
        token=token,
        wall_clock=lambda: NOW,
    )


async def _remembered(store: Database) -> list[tuple[str, str, int]]:
    async with store.transaction() as db:
        rows = await db.execute(
            select(issues.c.repository, issues.c.fingerprint, issues.c.number).order_by(
                issues.c.repository, issues.c.fingerprint
            )
        )
        return [(str(r), str(f), int(n)) for r, f, n in rows]


async def test_one_issue_per_problem_and_later_notifications_comment(
    fake: tuple[FakeGitHub, str], http: httpx.AsyncClient, store: Database
) -> None:
    server, url = fake
    github = _github(url, http, store)
    opened = await github.send_notification(_notification(), GITHUB)
    assert opened.delivered
    assert opened.reference == f"https://github.com/{REPO}/issues/1"
    issue = server.issues[(REPO, 1)]
    assert issue["title"] == "[high] Boom @channel"
    assert issue["labels"] == [{"name": "bug"}, {"name": "auto-generated"}]
    assert "```text\nBoom @channel\n```" in issue["body"]
    assert await github.issue_number(REPO, "fp-42") == 1

    again = await github.handle_escalation(
        _notification("resolved", text="resolved by bob"), GITHUB
    )
    assert again.delivered
    assert again.details["issue"] == 1
    assert server.calls["create"] == 1
    [comment] = server.comments[(REPO, 1)]
    hidden, head = comment["body"].splitlines()[:2]
    assert re.fullmatch(r"<!-- alertorch notification [0-9a-f]{32} -->", hidden)
    assert head == "**resolved** at escalation level 3 (severity `high`, 1 occurrences)"
    assert again.reference == server.comments[(REPO, 1)][0]["html_url"]


async def test_the_issue_is_remembered_by_a_new_instance_on_the_same_store(
    fake: tuple[FakeGitHub, str], http: httpx.AsyncClient, store: Database, store_url: str
) -> None:
    server, url = fake
    assert (await _github(url, http, store).send_notification(_notification(), GITHUB)).delivered
    await store.close()
    async with migrated(store_url, SCHEMA) as reopened:
        quiet = _github(url, http, reopened, comment_on_repeat=False)
        result = await quiet.send_notification(_notification(), GITHUB)
    assert result.delivered
    assert result.details == {
        "issue": 1,
        "skipped": "the problem has an issue",
    }
    assert server.calls["create"] == 1
    assert server.calls["comment"] == 0


async def test_issues_are_remembered_per_problem_and_repository_on_both_backends(
    fake: tuple[FakeGitHub, str], http: httpx.AsyncClient, storage_url: str
) -> None:
    server, url = fake
    other = Target(type="github", channel="acme/api")
    async with migrated(storage_url, SCHEMA) as database:
        github = _github(url, http, database)
        assert (await github.send_notification(_notification(), GITHUB)).delivered
        assert (await github.send_notification(_notification(), other)).delivered
        assert (await github.send_notification(_notification(fingerprint="fp-7"), GITHUB)).delivered
        again = await github.send_notification(_notification("resolved"), GITHUB)
        assert again.details == {"issue": 1, "repository": REPO}
        assert server.calls["create"] == 3
        assert server.calls["comment"] == 1
        assert await github.issue_number(REPO, "fp-42") == 1
        assert await github.issue_number(REPO, "fp-7") == 2
        assert await github.issue_number("acme/api", "fp-42") == 1
        assert await github.issue_number("acme/api", "fp-7") is None

    async with migrated(storage_url, SCHEMA) as reopened:  # a restart
        assert await _remembered(reopened) == [
            ("acme/api", "fp-42", 1),
            (REPO, "fp-42", 1),
            (REPO, "fp-7", 2),
        ]
        async with reopened.transaction() as db:
            row = (
                await db.execute(
                    select(issues.c.url, issues.c.created_at).where(
                        issues.c.repository == REPO, issues.c.fingerprint == "fp-7"
                    )
                )
            ).one()
        assert row.url == f"https://github.com/{REPO}/issues/2"
        assert row.created_at == NOW
        quiet = _github(url, http, reopened, comment_on_repeat=False)
        result = await quiet.send_notification(_notification(fingerprint="fp-7"), GITHUB)
        assert result.details == {"issue": 2, "skipped": "the problem has an issue"}
        assert server.calls["create"] == 3


async def test_the_configured_repository_is_used_when_the_target_names_none(
    fake: tuple[FakeGitHub, str], http: httpx.AsyncClient, store: Database
) -> None:
    server, url = fake
    result = await _github(url, http, store).send_notification(
        _notification(), Target(type="github")
    )
    assert result.delivered
    assert ("acme/default", 1) in server.issues
    bad = await _github(url, http, store, repository="").send_notification(
        _notification(fingerprint="fp-2"), Target(type="github")
    )
    failed_for_good(bad, "owner/name")


async def test_issues_disabled_bad_token_and_invalid_requests_fail_for_good(
    fake: tuple[FakeGitHub, str], http: httpx.AsyncClient, store: Database
) -> None:
    server, url = fake
    server.disabled.add(REPO)
    disabled = await _github(url, http, store).send_notification(_notification(), GITHUB)
    assert disabled.permanent
    assert disabled.error == "GitHub answered 410: Issues are disabled for this repo"
    server.disabled.clear()

    denied = await _github(url, http, store, token="wrong").send_notification(
        _notification(), GITHUB
    )
    failed_for_good(denied, "401: Bad credentials")

    server.invalid_next = 1
    invalid = await _github(url, http, store).send_notification(_notification(), GITHUB)
    failed_for_good(invalid, "422: Validation Failed")
    assert await _remembered(store) == []

    no_token = await _github(url, http, store, token=None).send_notification(
        _notification(), GITHUB
    )
    failed_for_good(no_token, "GITHUB_TOKEN")


async def test_the_primary_rate_limit_waits_until_its_reset(
    fake: tuple[FakeGitHub, str], http: httpx.AsyncClient, store: Database
) -> None:
    server, url = fake
    server.remaining = 0
    server.reset_at = int(NOW) + 600
    server.rate_limit_message = json.loads(
        (FIXTURES / "github_rest_403_primary_rate_limit_exceeded_body.pygithub.json").read_text()
    )["message"]
    result = await _github(url, http, store).send_notification(_notification(), GITHUB)
    assert not result.delivered
    assert not result.permanent
    assert result.retry_after == 600
    assert server.issues == {}


async def test_a_secondary_rate_limit_waits_for_retry_after(
    fake: tuple[FakeGitHub, str], http: httpx.AsyncClient, store: Database
) -> None:
    server, url = fake
    server.secondary_limited, server.retry_after = 1, 45
    github = _github(url, http, store)
    limited = await github.send_notification(_notification(), GITHUB)
    assert limited.retry_after == 45
    assert (await github.send_notification(_notification(), GITHUB)).delivered
    assert len(server.issues) == 1


async def test_no_connection_is_retried(http: httpx.AsyncClient, store: Database) -> None:
    closed = f"http://127.0.0.1:{free_port_block(1)}"
    result = await _github(closed, http, store).send_notification(_notification(), GITHUB)
    assert not result.delivered
    assert result.retry_after is not None


async def test_a_disabled_integration_says_so(http: httpx.AsyncClient, store: Database) -> None:
    github = GitHubIssues(GithubIntegration(), http=http, database=store, token="ghp_test")
    result = await github.send_notification(_notification(), GITHUB)
    skipped_quietly(result, "integrations.github.enabled")


async def test_concurrent_notifications_for_one_problem_open_one_issue(
    fake: tuple[FakeGitHub, str], http: httpx.AsyncClient, store: Database
) -> None:
    server, url = fake
    github = _github(url, http, store)
    results = await asyncio.gather(
        *(github.send_notification(_notification(), GITHUB) for _ in range(3))
    )
    assert all(r.delivered for r in results)
    assert server.calls["create"] == 1
    assert server.calls["comment"] == 2


async def test_a_rules_github_action_labels_the_issue(
    fake: tuple[FakeGitHub, str], http: httpx.AsyncClient, store: Database
) -> None:
    from services.notifier.policy.levels import EscalationLevel

    level = EscalationLevel.model_validate(
        {
            "name": "Team",
            "timeout_minutes": 15,
            "actions": [{"type": "github_issue", "repository": REPO, "labels": ["database", "p1"]}],
        }
    )
    [target] = level.targets()
    assert target.mentions == ["label:database", "label:p1"]
    server, url = fake
    opened = await _github(url, http, store).send_notification(_notification(), target)
    assert opened.delivered
    assert server.issues[(REPO, 1)]["labels"] == [{"name": "database"}, {"name": "p1"}]


def _dispatcher(github: GitHubIssues, store: Database, clock: ManualClock) -> Dispatcher:
    outbox = Outbox(store, clock=clock)
    return Dispatcher(
        outbox=outbox, integrations={"github": github}, publisher=Audits(), clock=clock
    )


async def test_an_issue_whose_opening_got_no_answer_is_found_not_opened_again(
    fake: tuple[FakeGitHub, str], http: httpx.AsyncClient, store: Database
) -> None:
    """GitHub opened the issue, but its answer came after the client gave up: the retry finds
    the issue among the repository's and records it; there is one issue, and later
    notifications comment on it."""
    server, url = fake
    server.answers_held = 1
    clock = ManualClock()
    github = _github(url, http, store, timeout_seconds=0.5)
    dispatcher = _dispatcher(github, store, clock)
    event = notification_event(_notification("new_alert"))
    row = await notifications.sent_after_a_lost_answer(
        dispatcher, clock, event, f"github:{REPO}", RETRY
    )
    assert row.reference == f"https://github.com/{REPO}/issues/1"
    assert (server.calls["create"], len(server.issues)) == (1, 1)
    assert await _remembered(store) == [(REPO, event.data.fingerprint, 1)]
    await deliver(dispatcher, notification_event(_notification("update")))
    assert (len(server.issues), len(server.comments[(REPO, 1)])) == (1, 1)


async def test_a_comment_whose_answer_was_lost_is_found_not_made_again(
    fake: tuple[FakeGitHub, str], http: httpx.AsyncClient, store: Database
) -> None:
    """GitHub made the comment, but its answer came after the client gave up: the retry finds
    it among the issue's comments (by the hidden line naming its notification) and records it
    as delivered; another notification's comment is made."""
    server, url = fake
    clock = ManualClock()
    github = _github(url, http, store, timeout_seconds=0.5)
    dispatcher = _dispatcher(github, store, clock)
    await deliver(dispatcher, notification_event(_notification("new_alert")))
    server.answers_held = 1
    event = notification_event(_notification("update"))
    row = await notifications.sent_after_a_lost_answer(
        dispatcher, clock, event, f"github:{REPO}", RETRY
    )
    assert row.reference == f"https://github.com/{REPO}/issues/1#issuecomment-1"
    assert (server.calls["comment"], server.calls["comments"]) == (1, 1)
    await deliver(dispatcher, notification_event(_notification("update", text="still down")))
    assert len(server.comments[(REPO, 1)]) == 2
    assert "still down" in server.comments[(REPO, 1)][1]["body"]


async def test_an_opening_a_stop_cut_short_before_it_reached_github_is_made_once(
    fake: tuple[FakeGitHub, str], http: httpx.AsyncClient, store: Database
) -> None:
    """A send cut short before its request left: once its lease runs out it is looked up,
    not found (the issues of other problems do not count), and the issue is opened."""
    server, url = fake
    clock = ManualClock()
    github = _github(url, http, store)
    dispatcher = _dispatcher(github, store, clock)
    assert (await github.send_notification(_notification(fingerprint="other"), GITHUB)).delivered
    event = notification_event(_notification("new_alert"))
    await mid_send(dispatcher.outbox, [event], f"github:{REPO}", lease_until=clock.time() + 1)
    clock.advance(SEND_LEASE_SECONDS)
    assert await dispatcher.send_due() == 1
    assert server.calls["list"] == 1
    assert [n for _, n in server.issues] == [1, 2]
    assert await _remembered(store) == [(REPO, event.data.fingerprint, 2), (REPO, "other", 1)]
