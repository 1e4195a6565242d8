"""Fixtures shared by the service tests: the fake Slack, served on a local port; the notifier's
store for a delivery test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from services.notifier.delivery.catalog import GITHUB_SCHEMA, JIRA_SCHEMA
from services.notifier.tables import SCHEMA as NOTIFIER_SCHEMA
from shared.storage import Database
from tests.fakes.server import serving
from tests.fakes.slack import FakeSlack
from tests.storage import migrated


@pytest.fixture
def fake_slack() -> FakeSlack:
    return FakeSlack()


@pytest.fixture
def slack_url(fake_slack: FakeSlack) -> Iterator[str]:
    """The fake Slack's base URL, served for the test's duration."""
    with serving(fake_slack.app()) as url:
        yield url


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    """Where a delivery test keeps the notifier's store: a SQLite file of its own."""
    return f"sqlite:///{tmp_path / 'notifier.db'}"


@pytest.fixture
async def store(store_url: str) -> AsyncIterator[Database]:
    """The store at ``store_url`` with the outbox's tables and the issue targets' (GitHub's,
    Jira's), migrated; closed when the test ends."""
    async with migrated(store_url, NOTIFIER_SCHEMA, GITHUB_SCHEMA, JIRA_SCHEMA) as opened:
        yield opened
