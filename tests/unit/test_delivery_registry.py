"""Integrations by target type: built-ins, ``register_integration()`` and entry points."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import httpx
import pytest

from services.notifier.delivery.base import DeliveryResult, Integration
from services.notifier.delivery.catalog import (
    BUILT_IN,
    GITHUB_SCHEMA,
    JIRA_SCHEMA,
    build_integrations,
    github_store_url,
    jira_store_url,
)
from services.notifier.delivery.console import ConsoleInbox
from services.notifier.delivery.registry import (
    register_integration,
    registered_integrations,
    unregister_integration,
)
from shared.config import Settings
from shared.events import ErrorSummary, NotificationData, Severity, Target
from shared.storage import Database
from tests.plugins import install_package
from tests.storage import migrated


class TeamsChat:
    """What a user writes: the two methods, nothing else."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str | None]] = []

    async def send_notification(
        self, notification: NotificationData, target: Target
    ) -> DeliveryResult:
        self.sent.append((notification.fingerprint, target.channel))
        return DeliveryResult.ok("msg-1")

    async def handle_escalation(
        self, notification: NotificationData, target: Target
    ) -> DeliveryResult:
        return await self.send_notification(notification, target)


NOTIFICATION = NotificationData(
    fingerprint="fp-1",
    kind="new_alert",
    targets=[Target(type="teams", channel="ops")],
    summary=ErrorSummary(title="Boom", severity=Severity.HIGH),
)


#: ``register_integration()``, undone when the test ends.
Register = Callable[[str], TeamsChat]


@pytest.fixture
def register() -> Iterator[Register]:
    """Registers a new :class:`TeamsChat` under a name, for the test's duration; returns it."""
    registered: list[str] = []

    def register(name: str) -> TeamsChat:
        chat = TeamsChat()
        register_integration(name, chat)
        registered.append(name)
        return chat

    yield register
    for name in registered:
        unregister_integration(name)


@pytest.fixture
async def store() -> AsyncIterator[Database]:
    async with migrated("sqlite:///:memory:", GITHUB_SCHEMA, JIRA_SCHEMA) as opened:
        yield opened


def _integrations(http: httpx.AsyncClient, store: Database) -> dict[str, Integration]:
    """What the default settings build, with GitHub's and Jira's issues kept in ``store``."""
    return build_integrations(Settings(), http=http, github_database=store, jira_database=store)


async def test_an_integration_registered_at_runtime_receives_its_targets(
    register: Register, http: httpx.AsyncClient, store: Database
) -> None:
    teams = register("teams")
    integrations = _integrations(http, store)
    assert set(integrations) == {*BUILT_IN, "teams"}
    result = await integrations["teams"].send_notification(NOTIFICATION, NOTIFICATION.targets[0])
    assert result.reference == "msg-1"
    assert teams.sent == [("fp-1", "ops")]
    unregister_integration("teams")
    assert "teams" not in registered_integrations()


def test_the_github_store_is_the_storage_url_else_a_file_of_its_own() -> None:
    assert github_store_url(Settings()).endswith("notifier-github.db")
    shared = Settings.model_validate({"storage": {"url": "postgresql://db/alertorch"}})
    assert github_store_url(shared) == "postgresql://db/alertorch"
    assert jira_store_url(Settings()).endswith("notifier-jira.db")
    assert jira_store_url(shared) == "postgresql://db/alertorch"


def test_something_without_the_two_methods_is_refused() -> None:
    with pytest.raises(TypeError, match="send_notification"):
        register_integration("nope", object())  # type: ignore[arg-type]


async def test_register_integration_may_replace_a_built_in(
    register: Register, http: httpx.AsyncClient, store: Database
) -> None:
    mine = register("email")
    integrations = _integrations(http, store)
    assert integrations["email"] is mine


async def test_the_console_target_makes_no_call_and_is_delivered() -> None:
    target = Target(type="console")
    assert (await ConsoleInbox().send_notification(NOTIFICATION, target)).reference == "console"
    assert (await ConsoleInbox().handle_escalation(NOTIFICATION, target)).delivered


async def test_installed_packages_add_integrations_through_entry_points(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, http: httpx.AsyncClient, store: Database
) -> None:
    source = (
        "from services.notifier.delivery.base import DeliveryResult\n"
        "class Teams:\n"
        "    async def send_notification(self, notification, target):\n"
        "        return DeliveryResult.ok('teams-' + notification.fingerprint)\n"
        "    async def handle_escalation(self, notification, target):\n"
        "        return DeliveryResult.ok('teams-escalation')\n"
        "opsgenie = Teams()\n"
        "def broken():\n"
        "    raise RuntimeError('plugin bug')\n"
        "not_one = 42\n"
    )
    install_package(
        monkeypatch,
        tmp_path,
        "acme_notify",
        source,
        "alertorch.integrations",
        {
            "teams": "Teams",
            "opsgenie": "opsgenie",
            "broken": "broken",
            "missing": "nope",
            "not_one": "not_one",
            "email": "Teams",
        },
    )
    found = registered_integrations()
    assert {"teams", "opsgenie", "email"} <= set(found)
    assert not {"broken", "missing", "not_one"} & set(found)
    result = await found["teams"].send_notification(NOTIFICATION, NOTIFICATION.targets[0])
    assert result.reference == "teams-fp-1"
    assert (await found["opsgenie"].handle_escalation(NOTIFICATION, Target(type="x"))).delivered

    integrations = _integrations(http, store)
    assert type(integrations["email"]).__name__ == "SmtpEmail", "a plugin cannot take a built-in"
    assert {"teams", "opsgenie"} <= set(integrations)


async def test_an_explicit_registration_wins_over_an_entry_point(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, register: Register
) -> None:
    install_package(
        monkeypatch,
        tmp_path,
        "acme_other",
        "class Teams:\n    pass\n",
        "alertorch.integrations",
        {"teams": "Teams"},
    )
    mine = register("teams")
    assert registered_integrations()["teams"] is mine
