"""Fixtures shared by the service tests: the fake Slack, served on a local port."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.server import serving
from tests.fakes.slack import FakeSlack


@pytest.fixture
def fake_slack() -> FakeSlack:
    return FakeSlack()


@pytest.fixture
def slack_url(fake_slack: FakeSlack) -> Iterator[str]:
    """The fake Slack's base URL, served for the test's duration."""
    with serving(fake_slack.app()) as url:
        yield url
