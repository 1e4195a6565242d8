"""``SentryMonitor`` against the fake Sentry (real wire format: Bearer auth, cursor pages, one
429 and one 500 on the first issue calls): the seed's connectivity snippet, errors fetched as
``RawError`` events within a window, and the pattern report."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import timedelta

import pytest

from services.ingest import SentryMonitor
from services.ingest.errors import SentryApiError
from shared.config import load_settings
from tests.fakes.sentry import ORG, TOKEN, FakeSentry, serving_sentry


@pytest.fixture
def sentry() -> Iterator[tuple[FakeSentry, str]]:
    fake = FakeSentry(prefix=str(int(os.urandom(3).hex(), 16)))
    with serving_sentry(fake) as url:
        yield fake, url


@pytest.fixture
def env(sentry: tuple[FakeSentry, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    values = {
        "SENTRY_AUTH_TOKEN": TOKEN,
        "SENTRY_ORGANIZATION": ORG,
        "ALERTORCH_SENTRY__BASE_URL": sentry[1],
        "ALERTORCH_SENTRY__BACKOFF_SECONDS": "0.1",
        "ALERTORCH_SENTRY__PROJECTS": "[]",  # every project of the organisation
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


def test_the_seed_s_connectivity_snippet_works(env: dict[str, str]) -> None:
    snippet = textwrap.dedent(
        """
        from services.ingest import SentryMonitor
        monitor = SentryMonitor()
        projects = monitor.get_projects()
        print(f'Connected! Found {len(projects)} projects')
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", snippet],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Connected! Found 2 projects"


def test_errors_within_the_window_become_raw_errors_and_a_pattern_report(
    sentry: tuple[FakeSentry, str], env: dict[str, str]
) -> None:
    fake, _ = sentry
    fake.set_issue("checkout", "web", count=12, minutes_ago=5)
    fake.set_issue("login", "web", count=3, minutes_ago=30)
    fake.set_issue("export", "api", count=7, minutes_ago=50)
    fake.set_issue("ancient", "api", count=99, minutes_ago=60 * 30)  # outside the window
    for name in ("checkout", "login"):  # one exception type in two issues
        fake.issues[name]["metadata"] = {"type": "TimeoutError", "value": "read timed out"}
    monitor = SentryMonitor(load_settings())
    errors = monitor.fetch_errors(since=timedelta(hours=2))
    titles = sorted(error.data.title.split(" failed")[0] for error in errors)
    assert titles == ["checkout", "export", "login"]  # after riding out a 429 and a 500
    assert {error.data.project for error in errors} == {"web", "api"}
    assert all(error.data.origin == "sentry_api" for error in errors)
    only_api = monitor.fetch_errors(since=timedelta(hours=2), projects=["api"])
    assert [e.data.project for e in only_api] == ["api"]

    report = monitor.analyze_error_patterns(errors)
    assert (report.errors, report.events) == (3, 22)
    assert report.by_project == {"web": 15, "api": 7}
    assert [(g.key, g.project, g.issues, g.events) for g in report.groups] == [
        ("TimeoutError", "web", 2, 15),
        (f"export failed ({fake.prefix})", "api", 1, 7),
    ]


def test_a_wrong_token_is_a_clear_error(env: dict[str, str]) -> None:
    monitor = SentryMonitor(load_settings(), token="wrong")
    with pytest.raises(SentryApiError, match="401"):
        monitor.get_projects()


async def test_inside_an_event_loop_the_coroutines_are_used(env: dict[str, str]) -> None:
    monitor = SentryMonitor(load_settings())
    with pytest.raises(RuntimeError, match="await projects"):
        monitor.get_projects()
    assert len(await monitor.projects()) == 2
