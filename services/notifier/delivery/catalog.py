"""Every integration the notifier dispatches to by ``Target.type``: the built-in non-Slack
targets (``pagerduty``, ``github``, ``jira``, ``email``, ``console``) and the registered ones.

An integration registered in code with ``register_integration()`` may replace a built-in under
its name; an installed package's entry point may not (it is skipped, with an error logged).
Slack is built by its own module and added by the service.
"""

from __future__ import annotations

import ssl
import time
from typing import Final

import httpx

from services.notifier.delivery.base import Integration
from services.notifier.delivery.console import ConsoleInbox
from services.notifier.delivery.github import GitHubIssues
from services.notifier.delivery.github_tables import SCHEMA
from services.notifier.delivery.jira import JiraIssues
from services.notifier.delivery.jira_tables import SCHEMA as JIRA_TABLES
from services.notifier.delivery.mail import SmtpEmail
from services.notifier.delivery.pagerduty import PagerDutyEvents
from services.notifier.delivery.registry import registered_integrations
from shared.clock import ReadTime
from shared.config import Settings, reveal
from shared.events import Target
from shared.storage import Database, StoreSchema, storage_url

BUILT_IN = ("pagerduty", "github", "jira", "email", "console")

#: The schema of the database ``github_database`` (the issue opened per problem and repository).
GITHUB_SCHEMA: Final[StoreSchema] = SCHEMA
GITHUB_STORE = "notifier-github"
#: The schema of the database ``jira_database`` (the issue opened per problem and project).
JIRA_SCHEMA: Final[StoreSchema] = JIRA_TABLES
JIRA_STORE = "notifier-jira"


def github_store_url(settings: Settings) -> str:
    """Where the GitHub target remembers its issues: ``storage.url``, else
    ``notifier-github.db`` in the data directory."""
    return storage_url(settings, GITHUB_STORE, "")


def jira_store_url(settings: Settings) -> str:
    """Where the Jira target remembers its issues: ``storage.url``, else ``notifier-jira.db``
    in the data directory."""
    return storage_url(settings, JIRA_STORE, "")


def resolve_trackers(settings: Settings) -> tuple[Target, ...]:
    """Issue trackers told of every close, so an issue opened by the Create issue button is
    closed or commented too (Jira, when enabled: without an issue for the problem it does
    nothing)."""
    return (Target(type="jira"),) if settings.integrations.jira.enabled else ()


def issue_targets(settings: Settings) -> list[Target]:
    """Where the Create issue button opens an issue: every enabled issue tracker (GitHub,
    Jira); none enabled: GitHub, whose delivery then says it is disabled."""
    integrations = settings.integrations
    found = [
        Target(type=name)
        for name, enabled in (
            ("github", integrations.github.enabled),
            ("jira", integrations.jira.enabled),
        )
        if enabled
    ]
    return found or [Target(type="github")]


def build_integrations(
    settings: Settings,
    *,
    http: httpx.AsyncClient,
    github_database: Database,
    jira_database: Database,
    clock: ReadTime = time.monotonic,
    wall_clock: ReadTime = time.time,
    ssl_context: ssl.SSLContext | None = None,
) -> dict[str, Integration]:
    """Integrations by target type: the built-ins merged with :func:`registered_integrations`.
    ``http`` is shared and closed by the caller; ``github_database`` holds :data:`GITHUB_SCHEMA`
    and ``jira_database`` :data:`JIRA_SCHEMA`, migrated."""
    integrations = settings.integrations
    found: dict[str, Integration] = {
        "pagerduty": PagerDutyEvents(
            integrations.pagerduty,
            http=http,
            default_routing_key=reveal(settings.pagerduty_api_key),
            clock=clock,
        ),
        "github": GitHubIssues(
            integrations.github,
            http=http,
            database=github_database,
            token=reveal(settings.github_token),
            wall_clock=wall_clock,
        ),
        "jira": JiraIssues(
            integrations.jira,
            http=http,
            database=jira_database,
            site_url=settings.jira_url,
            token=reveal(settings.jira_token),
            wall_clock=wall_clock,
        ),
        "email": SmtpEmail(
            integrations.email,
            password=reveal(settings.smtp_password),
            ssl_context=ssl_context,
        ),
        "console": ConsoleInbox(),
    }
    found.update(registered_integrations(reserved=frozenset(found)))
    return found
