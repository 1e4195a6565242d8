"""The notifier service. Policy: ``resolutions`` and ``commands`` in, escalation rules applied,
``notifications`` out, except what a silence (``silences``, kept in the notifier's tables) holds
back, which is recorded on ``audit``. Delivery: ``notifications`` in (from the policy or any
producer), each to each target once, through an outbox. It also serves Slack's interactivity
endpoint (``POST /slack/events``), whose button presses become ``commands`` (Silence 1h: a
silence on ``silences``).
"""

from __future__ import annotations

from collections.abc import Sequence

import httpx
import structlog

from services.notifier import tables
from services.notifier.delivery.base import Integration
from services.notifier.delivery.catalog import (
    GITHUB_SCHEMA,
    JIRA_SCHEMA,
    build_integrations,
    github_store_url,
    issue_targets,
    jira_store_url,
    resolve_trackers,
)
from services.notifier.delivery.console import ConsoleInbox
from services.notifier.dispatcher import RETRY_STEP_SECONDS, Dispatcher
from services.notifier.outbox import Outbox
from services.notifier.policy_runner import PolicyRunner
from services.notifier.rules_file import RULES_FILE
from services.notifier.slack import (
    SLACK_SCHEMA,
    SlackInteractions,
    slack_clients,
    slack_integration,
    slack_routes,
    slack_store_url,
)
from services.notifier.store import NotifierStore
from services.notifier.tables import SCHEMA
from shared.config import Settings, config_dir_from_env, reveal
from shared.events import (
    Command,
    Notification,
    NotificationData,
    Resolution,
    Silence,
    silence_audit,
)
from shared.events import derived_event_id as derived
from shared.kafka.producer import Output
from shared.runner import Consumed, Service, decoder, decoding
from shared.storage import Database, StoreSchema, storage_url
from shared.topics import AUDIT, COMMANDS, NOTIFICATIONS, RESOLUTIONS, SILENCES

log = structlog.get_logger(__name__)

SLACK_SOURCE = "/alertorch/notifier/slack"

NAME = "notifier"
AUDIT_SECONDS = 60.0
PRUNE_SECONDS = 3600.0
KEEP_SECONDS = 7 * 86400.0


def _urls(settings: Settings) -> list[tuple[str, StoreSchema]]:
    return [
        (storage_url(settings, NAME, ""), SCHEMA),
        (slack_store_url(settings), SLACK_SCHEMA),
        (github_store_url(settings), GITHUB_SCHEMA),
        (jira_store_url(settings), JIRA_SCHEMA),
    ]


def stores(settings: Settings) -> dict[str, list[StoreSchema]]:
    """The service's database URLs and the schemas it keeps in each."""
    found: dict[str, list[StoreSchema]] = {}
    for url, schema in _urls(settings):
        found.setdefault(url, []).append(schema)
    return found


def create(settings: Settings) -> Service:
    service = Service(name=NAME, settings=settings)
    clock = service.clock
    producer = service.producer
    databases = {url: Database(url, schemas=schemas) for url, schemas in stores(settings).items()}
    main, slack_db, github_db, jira_db = (databases[url] for url, _ in _urls(settings))
    store = NotifierStore(main, clock=clock)
    outbox = Outbox(main, clock=clock)
    http = httpx.AsyncClient(timeout=10.0)
    integrations: dict[str, Integration] = build_integrations(
        settings, http=http, github_database=github_db, jira_database=jira_db
    )
    clients = slack_clients(settings) if settings.components.slack_enabled else None
    if not settings.components.slack_enabled:
        log.warning("components.slack_enabled is false: Slack notifications stay on the console")
        integrations.setdefault("slack", ConsoleInbox())
    elif clients is not None:
        integrations.setdefault(
            "slack", slack_integration(settings, slack_db, clients, clock=clock.time)
        )
    else:
        log.warning(
            "no SLACK_BOT_TOKEN or SLACK_WEBHOOK_URL: Slack notifications stay on the console inbox"
        )
        integrations.setdefault("slack", ConsoleInbox())
    runner = PolicyRunner(
        database=main,
        publisher=producer,
        rules_path=config_dir_from_env() / RULES_FILE,
        roles=settings.escalation.roles,
        include_actions=settings.slack.message_settings.include_actions,
        resolutions_channel=settings.slack.notification_channels.resolutions,
        trackers=resolve_trackers(settings),
        clock=clock,
    )
    dispatcher = Dispatcher(
        outbox=outbox,
        integrations=integrations,
        publisher=producer,
        dry_run=settings.operation.dry_run,
        clock=clock,
        concurrency=settings.notifier.delivery_concurrency,
    )

    async def publish_command(command: Command) -> None:
        await producer.publish(COMMANDS, command, key=command.subject)

    async def publish_silence(silence: Silence) -> None:
        record = silence_audit(silence, "silence_created", silence.data.created_by, SLACK_SOURCE)
        await producer.publish_many(
            [
                Output(SILENCES, silence, silence.data.silence_id),
                Output(AUDIT, record, record.data.fingerprint),
            ]
        )

    secret = settings.slack_signing_secret
    service.add_routes(
        slack_routes(
            SlackInteractions(
                signing_secret=reveal(secret),
                publish_command=publish_command,
                publish_silence=publish_silence,
                authorized_users=settings.slack.authorized_users,
                client=clients.api if clients else None,
                database=slack_db,
                publish_timeout=settings.slack.publish_timeout_seconds,
                settings=settings.slack,
                formats=settings.notification_templates,
            )
        )
    )

    async def on_commands(events: Sequence[Command]) -> None:
        for event in events:
            if event.data.action == "create_issue":
                await request_issue(event)
        await runner.on_commands(events)

    async def request_issue(event: Command) -> None:
        """The "Create issue" button: a notification to each enabled issue tracker (GitHub,
        Jira; once per problem: each remembers the issue it opened)."""
        known = await store.alert(event.data.fingerprint)
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
                targets=issue_targets(settings),
                summary=state.summary,
                text=f"Issue requested by {actor}",
            ),
        )
        await producer.publish(NOTIFICATIONS, notification, key=event.data.fingerprint)

    async def timers() -> None:
        runner.reload_if_changed()
        await runner.tick()

    async def prune() -> None:
        await store.prune(clock.time() - KEEP_SECONDS)
        await outbox.prune(clock.time() - KEEP_SECONDS)

    async def on_resolutions(items: Sequence[tuple[Consumed, Resolution]]) -> None:
        await runner.on_resolutions([event for _, event in items])

    async def on_notifications(items: Sequence[tuple[Consumed, Notification]]) -> None:
        await dispatcher.enqueue([event for _, event in items])

    async def migrate() -> None:
        for database in databases.values():
            await database.migrate()

    async def close() -> None:
        await http.aclose()
        if clients is not None:
            await clients.aclose()
        for database in databases.values():
            await database.close()

    service.before_start(migrate)
    resolutions = decoding(decoder(RESOLUTIONS, Resolution), on_resolutions)
    # Off the path to `resolutions`: while alerts flow, each batch gathers what came meanwhile.
    gather = settings.notifier.batch_gather_ms
    service.consume(RESOLUTIONS, resolutions, group="policy", gather_ms=gather)
    service.consume_commands(on_commands)
    service.keep_silences(main, tables.silences)
    notifications = decoding(decoder(NOTIFICATIONS, Notification), on_notifications)
    service.consume(NOTIFICATIONS, notifications, group="delivery", gather_ms=gather)
    # Separate loops: escalation timers never wait behind a slow delivery, and the consumer
    # only queues sends, which the delivery loop makes.
    service.add_periodic("policy-timers", 1.0, timers)
    service.add_periodic("delivery", 0.0, dispatcher.work)
    service.add_periodic(
        "outbox-retries", RETRY_STEP_SECONDS, dispatcher.send_due, sooner=dispatcher.due_in
    )
    service.add_periodic("integration-ticks", 1.0, dispatcher.tick_integrations)
    service.add_periodic("auditor", AUDIT_SECONDS, runner.audit)
    service.add_periodic("prune", PRUNE_SECONDS, prune)
    service.on_stop(close)
    return service
