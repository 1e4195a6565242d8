"""The ``monitoring:`` section of ``config.yaml``: scheduled reports, which the console sends (see
docs/console.md)."""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from shared.config.sections import known_zone
from shared.models import StrictFrozenModel


class ReportingSettings(StrictFrozenModel):
    """Scheduled summaries the console posts to Slack (``slack.notification_channels.metrics``),
    each with a system-health message; ``alertorch report`` prints the same on demand."""

    daily_summary: bool = Field(default=True, description="The last 24 hours, every day.")
    weekly_analysis: bool = Field(
        default=True,
        description="The last 7 days, on maintenance.scheduled_maintenance.weekly_report_day.",
    )
    monthly_trends: bool = Field(
        default=True, description="The previous calendar month, on the 1st."
    )
    hour: int = Field(default=9, ge=0, le=23, description="Local hour the reports are sent.")
    timezone: str = Field(default="UTC", description="IANA time zone of ``hour``.")
    grace_hours: float = Field(
        default=6.0,
        gt=0,
        description="A report the console could not send at its time (it was down, or behind "
        "the topics) is still sent this long after; later it is skipped.",
    )
    check_seconds: float = Field(
        default=60.0, gt=0, description="How often the console looks for a report that is due."
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return known_zone(value)


class MonitoringSection(StrictFrozenModel):
    metrics_collection: dict[str, Any] = Field(default_factory=dict)
    health_checks: dict[str, Any] = Field(default_factory=dict)
    performance_tracking: dict[str, Any] = Field(default_factory=dict)
    reporting: ReportingSettings = ReportingSettings()
