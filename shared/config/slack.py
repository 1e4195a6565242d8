"""The ``slack:`` section of ``config.yaml``: the Slack target and its buttons (see
docs/slack.md)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field

from shared.config.knobs import PublishTimeout, RequestTimeout, StateTtlHours
from shared.events import ButtonAction
from shared.models import StrictFrozenModel


class SlackChannels(StrictFrozenModel):
    alerts: str = "#alerts"
    resolutions: str = Field(
        default="#devops",
        description="Also gets every automatic fix's news (approval asked, started, succeeded, "
        "failed, rolled back) for problems told in Slack; empty: only their own channels.",
    )
    escalations: str = "#oncall"
    metrics: str = "#monitoring"


class SlackMessages(StrictFrozenModel):
    include_actions: bool = True
    thread_responses: bool = True
    mention_oncall: bool = True


class SlackRateLimiting(StrictFrozenModel):
    max_messages_per_hour: int = Field(default=50, ge=1)
    cooldown_seconds: int = Field(
        default=60,
        ge=0,
        description="A problem back this soon after its resolution opens its old card again "
        "instead of posting a new one (0: always a new card).",
    )


#: Who may press each button unless configured: ``*`` is anyone who sees the message (a channel
#: member); an empty list is ``authorized_users`` only.
DEFAULT_ACTION_PERMISSIONS: dict[ButtonAction, list[str]] = {
    "ack": ["*"],
    "snooze": ["*"],
    "silence": ["*"],
    "escalate": ["*"],
    "create_issue": ["*"],
    "reject": [],
    "resolve": [],
    "approve": [],
    "rollback": [],
}


def _with_default_permissions(given: Any) -> Any:
    return {**DEFAULT_ACTION_PERMISSIONS, **given} if isinstance(given, dict) else given


class SlackSection(StrictFrozenModel):
    api_url: str = "https://slack.com/api/"
    console_url: str = Field(
        default="",
        pattern=r"^(https?://\S+)?$",
        description="The console's address as people open it (https://alerts.example.com): every "
        "alert card then has an Investigate button opening the problem's timeline there.",
    )
    notification_channels: SlackChannels = SlackChannels()
    message_settings: SlackMessages = SlackMessages()
    rate_limiting: SlackRateLimiting = SlackRateLimiting()
    authorized_users: list[str] = Field(
        default_factory=list,
        description="Slack user ids (U…) or user groups (S…) allowed to take every action.",
    )
    action_permissions: Annotated[
        dict[ButtonAction, list[str]], BeforeValidator(_with_default_permissions)
    ] = Field(
        default_factory=lambda: dict(DEFAULT_ACTION_PERMISSIONS),
        description="Per button, who else may press it: Slack user ids (U…), user groups (S…), "
        "or * for anyone who sees the message. Actions not listed keep their default.",
    )
    store_url: str = Field(
        default="",
        description="Database of Slack's threads and digests; empty means storage.url (by "
        "default SQLite notifier-slack.db in storage.data_directory).",
    )
    request_timeout_seconds: RequestTimeout = Field(
        default=10.0, description="Timeout of each Slack API or webhook call."
    )
    per_channel_messages_per_second: float = Field(
        default=1.0,
        gt=0,
        le=10,
        description="Messages posted to one channel per second at most (Slack allows about 1); "
        "past it a notification is retried later, never dropped.",
    )
    digest_interval_seconds: float = Field(
        default=10.0,
        ge=1,
        description="A problem's root message is redrawn (count, status, latest update) at most "
        "once per this many seconds; occurrences in between are folded into the next redraw.",
    )
    digest_max_interval_seconds: float = Field(
        default=60.0,
        ge=1,
        description="While a problem keeps changing, its card waits longer between redraws the "
        "longer it has been up (as long as it has been up, at least digest_interval_seconds), "
        "up to this: a storm's cards are redrawn a few times, not every interval.",
    )
    webhook_digest_interval_seconds: float = Field(
        default=300.0,
        ge=1,
        description="Webhook-only mode cannot edit messages: occurrences of a problem already "
        "posted are summed into one digest post per this many seconds.",
    )
    digest_updates_per_tick: int = Field(
        default=1,
        ge=1,
        le=50,
        description="Root redraws per second across all problems (Slack's chat.update allows "
        "about 50 a minute); the longest-waiting roots go first.",
    )
    incident_cards: bool = Field(
        default=True,
        description="A problem of an incident that already has a card in the channel joins "
        "that card (bot mode): one message per incident and channel, listing its problems "
        "with their counts and statuses, instead of one per problem.",
    )
    templates: dict[str, str] = Field(
        default_factory=dict,
        description="Notification kind to template name, for templates registered with "
        "register_custom_template(); e.g. {new_alert: custom_alert}.",
    )
    mention_groups: dict[str, list[str]] = Field(
        default_factory=dict,
        description="What escalation mentions (oncall, management, ...) stand for: Slack user "
        "ids (U...), user group ids (S...) or here/channel; unlisted names ping no-one.",
    )
    publish_timeout_seconds: PublishTimeout = Field(
        default=2.0,
        le=2.5,
        description="Longest wait for the broker when a button press is published (Slack "
        "needs its answer within 3 seconds).",
    )
    state_ttl_hours: StateTtlHours = Field(
        default=168.0,
        description="A problem's thread untouched this long is forgotten; it next alerts in a "
        "new thread.",
    )
