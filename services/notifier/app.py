"""The notifier service. Policy: ``resolutions`` and ``commands`` in, escalation rules applied,
``notifications`` out. Delivery: ``notifications`` in (from the policy or any producer), each to
each target once, through an outbox. It also serves Slack's interactivity endpoint
(``POST /slack/events``), whose button presses become ``commands``.
"""

from __future__ import annotations

import httpx
import structlog

from services.notifier.delivery.base import Integration
from services.notifier.delivery.catalog import build_integrations
from services.notifier.delivery.console import ConsoleInbox
from services.notifier.delivery.github import GITHUB_MIGRATIONS
from services.notifier.dispatcher import Dispatcher
from services.notifier.policy_runner import PolicyRunner
from services.notifier.rules_file import RULES_FILE
from services.notifier.slack import (
    SLACK_MIGRATIONS,
    SlackIntegration,
    slack_clients,
    slack_routes,
    slack_store_url,
)
from services.notifier.store import NotifierStore
from shared.config import Settings, config_dir_from_env, reveal
from shared.events import Command, Notification, NotificationData, Resolution, Target
from shared.events import derived_event_id as derived
from shared.runner import Service, each, event_handler
from shared.store import Store, store_url_for
from shared.topics import COMMANDS, NOTIFICATIONS, RESOLUTIONS

log = structlog.get_logger(__name__)

NAME = "notifier"
AUDIT_SECONDS = 60.0
PRUNE_SECONDS = 3600.0
KEEP_SECONDS = 7 * 86400.0


def create(settings: Settings) -> Service:
    service = Service(name=NAME, settings=settings)
    clock = service.clock
    producer = service.producer
    store = NotifierStore(store_url_for(settings, NAME, ""), clock=clock)
    github_store = Store(
        store_url_for(settings, "notifier-github", ""), migrations=GITHUB_MIGRATIONS
    )
    http = httpx.AsyncClient(timeout=10.0)
    integrations: dict[str, Integration] = build_integrations(
        settings, http=http, github_store=github_store
    )
    clients = slack_clients(settings) if settings.components.slack_enabled else None
    slack_store = Store(slack_store_url(settings), migrations=SLACK_MIGRATIONS)
    if not settings.components.slack_enabled:
        log.warning("components.slack_enabled is false: Slack notifications stay on the console")
        integrations.setdefault("slack", ConsoleInbox())
    elif clients is not None:
        integrations.setdefault(
            "slack",
            SlackIntegration(
                store=slack_store,
                settings=settings.slack,
                api=clients.api,
                webhook=clients.webhook,
                clock=clock.time,
            ),
        )
    else:
        log.warning(
            "no SLACK_BOT_TOKEN or SLACK_WEBHOOK_URL: Slack notifications stay on the console inbox"
        )
        integrations.setdefault("slack", ConsoleInbox())
    runner = PolicyRunner(
        store=store,
        publisher=producer,
        rules_path=config_dir_from_env() / RULES_FILE,
        roles=settings.escalation.roles,
        include_actions=settings.slack.message_settings.include_actions,
        clock=clock.time,
    )
    dispatcher = Dispatcher(
        store=store,
        integrations=integrations,
        publisher=producer,
        dry_run=settings.operation.dry_run,
        clock=clock.time,
    )

    async def publish_command(command: Command) -> None:
        await producer.publish(COMMANDS, command, key=command.subject)

    secret = settings.slack_signing_secret
    service.add_routes(
        slack_routes(
            signing_secret=reveal(secret),
            publish_command=publish_command,
            authorized_users=settings.slack.authorized_users,
            client=clients.api if clients else None,
            store=slack_store,
            publish_timeout=settings.slack.publish_timeout_seconds,
            settings=settings.slack,
        )
    )

    async def on_command(event: Command) -> None:
        if event.data.action == "create_issue":
            await request_issue(event)
        else:
            await runner.on_command(event)

    async def request_issue(event: Command) -> None:
        """The "Create GitHub issue" button: a notification to the GitHub target (once per
        problem: the GitHub integration remembers the issue it opened)."""
        known = store.alert(event.data.fingerprint)
        if known is None:
            log.info("no alert for this problem; no issue to open")
            return
        state, correlation = known
        actor = event.data.actor.name or event.data.actor.id
        notification = Notification(
            id=derived(event.id, "create_issue"),
            source="/alertorch/notifier/commands",
            subject=event.data.fingerprint,
            correlationid=correlation,
            data=NotificationData(
                fingerprint=event.data.fingerprint,
                kind="update",
                level=state.level,
                targets=[Target(type="github")],
                summary=state.summary,
                text=f"GitHub issue requested by {actor}",
            ),
        )
        await producer.publish(NOTIFICATIONS, notification, key=event.data.fingerprint)

    async def timers() -> None:
        runner.reload_if_changed()
        await runner.tick()

    async def prune() -> None:
        store.prune(clock.time() - KEEP_SECONDS)

    async def close() -> None:
        await http.aclose()
        if clients is not None:
            await clients.aclose()
        for opened in (store, github_store, slack_store):
            opened.close()

    for name, handler, group in (
        (RESOLUTIONS, event_handler(RESOLUTIONS, Resolution, runner.on_resolution), "policy"),
        (COMMANDS, event_handler(COMMANDS, Command, on_command), "commands"),
        (
            NOTIFICATIONS,
            event_handler(NOTIFICATIONS, Notification, dispatcher.on_notification),
            "delivery",
        ),
    ):
        service.consume(name, each(handler), group=group)
    # Separate loops: escalation timers never wait behind a slow delivery.
    interrupted = store.interrupted()
    if interrupted:
        log.warning("sends cut short by a stop are not repeated", count=interrupted)
    service.add_periodic("policy-timers", 1.0, timers)
    service.add_periodic("outbox-retries", 1.0, dispatcher.retry_due)
    service.add_periodic("integration-ticks", 1.0, dispatcher.tick_integrations)
    service.add_periodic("auditor", AUDIT_SECONDS, runner.audit)
    service.add_periodic("prune", PRUNE_SECONDS, prune)
    service.on_stop(close)
    return service
