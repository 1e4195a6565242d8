"""``notification_templates`` in ``config/config.yaml``: the words at the top of Slack messages.

``alert_formats.slack.<severity>`` is the headline of a problem's alert card (and the
notification text Slack shows for it); ``resolution_formats.success`` / ``failure`` is the
message telling how an automatic fix ended. Each is Slack mrkdwn with ``{placeholders}`` (see
:mod:`shared.placeholders`); a placeholder that is not one of the fields below is an error. A
severity or outcome with no format keeps the built-in message.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Annotated

from pydantic import AfterValidator, Field

from shared.events import Severity
from shared.models import StrictFrozenModel
from shared.placeholders import unknown_placeholders

#: What an alert headline may show (values from the error are escaped and cut).
ALERT_FIELDS: tuple[str, ...] = (
    "title",
    "description",
    "severity",
    "service",
    "environment",
    "count",
)
#: What a fix's outcome may show: ``action`` is the strategy that ran, ``duration`` the seconds
#: from the start of its execution to its outcome, ``error`` why it failed (empty on success).
FIX_FIELDS: tuple[str, ...] = (
    "action",
    "duration",
    "error",
    "title",
    "severity",
    "service",
    "environment",
)
#: Longest format (a Slack section's text holds 3,000 characters).
FORMAT_LIMIT = 3000


def _known(allowed: Collection[str]) -> AfterValidator:
    def check(text: str) -> str:
        unknown = unknown_placeholders(text, allowed)
        if unknown:
            fields = ", ".join(f"{{{name}}}" for name in allowed)
            raise ValueError(f"unknown placeholder {', '.join(unknown)}; allowed: {fields}")
        return text

    return AfterValidator(check)


AlertFormat = Annotated[str, Field(max_length=FORMAT_LIMIT), _known(ALERT_FIELDS)]
FixFormat = Annotated[str, Field(max_length=FORMAT_LIMIT), _known(FIX_FIELDS)]


class AlertFormats(StrictFrozenModel):
    slack: dict[Severity, AlertFormat] = Field(
        default_factory=dict,
        description="Severity (critical, high, medium, low, info) to the headline of its alert "
        "cards in Slack; placeholders: " + ", ".join(ALERT_FIELDS) + ".",
    )


class ResolutionFormats(StrictFrozenModel):
    success: FixFormat = Field(
        default="",
        description="The message of an automatic fix that worked; empty: the built-in one. "
        "Placeholders: " + ", ".join(FIX_FIELDS) + ".",
    )
    failure: FixFormat = Field(
        default="",
        description="The message of an automatic fix that failed; empty: the built-in one. "
        "Placeholders: " + ", ".join(FIX_FIELDS) + ".",
    )


class NotificationTemplatesSection(StrictFrozenModel):
    alert_formats: AlertFormats = AlertFormats()
    resolution_formats: ResolutionFormats = ResolutionFormats()

    def alert(self, severity: Severity) -> str:
        """The headline format of an alert of ``severity``; empty: the built-in card."""
        return self.alert_formats.slack.get(severity, "")

    def fix(self, *, succeeded: bool) -> str:
        """The format of a fix's outcome; empty: the built-in message."""
        formats = self.resolution_formats
        return formats.success if succeeded else formats.failure
