"""What ``alertorch replay`` reports: typed, and exactly what ``--json`` prints.

Three columns run through it: ``recorded`` (what the services published in the window),
``baseline`` (the replay with the running configuration) and ``candidate`` (the replay with the
candidate files). A change is the candidate against the baseline: both replays start the window
with no state and see the same history, so what differs is what the candidate changes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from shared.models import FrozenModel

#: Count of each resolver decision (``auto_resolving``, ``awaiting_approval``, ...).
Statuses = dict[str, int]


class Change(FrozenModel):
    baseline: str | None
    candidate: str | None


class Regrouped(FrozenModel):
    """Errors of one group that go to several (``split``), or several that go to one
    (``merged``). ``by``: ``template`` is the mined ``pattern_id``, ``pattern`` the configured
    pattern that matched (``matched_pattern``)."""

    by: Literal["template", "pattern"]
    change: Literal["split", "merged"]
    baseline: list[str]
    candidate: list[str]
    fingerprints: list[str]
    events: int


class Recategorised(FrozenModel):
    """A problem whose classification changes; ``events`` counts the errors that change, and
    the values shown are those of its last such error."""

    fingerprint: str
    title: str
    events: int
    category: Change
    severity: Change
    matched_pattern: Change
    resolution_strategy: Change
    recorded_category: str | None = None
    recorded_severity: str | None = None


class ChannelLevel(FrozenModel):
    """Notifications to one channel (``slack:#alerts``, ``pagerduty:KEY``, ``email:ADDRESS``,
    ``console``) at one level, every kind counted."""

    channel: str
    level: int
    recorded: int
    baseline: int
    candidate: int
    added: int
    dropped: int


class NotificationChange(FrozenModel):
    change: Literal["added", "dropped"]
    fingerprint: str
    title: str
    kind: str
    level: int
    channel: str
    at: datetime
    page: bool


class EscalationChange(FrozenModel):
    """When a problem first reaches a level (its new alert or an escalation)."""

    fingerprint: str
    title: str
    level: int
    change: Literal["earlier", "later", "added", "dropped"]
    recorded_at: datetime | None
    baseline_at: datetime | None
    candidate_at: datetime | None
    seconds: float | None = Field(description="candidate_at less baseline_at")


class FixChange(FrozenModel):
    """``run``: the candidate runs a fix more often; ``held``: it runs one less often or asks
    for approval more often; ``changed``: the decisions differ otherwise."""

    fingerprint: str
    title: str
    change: Literal["run", "held", "changed"]
    strategy: Change
    recorded: Statuses
    baseline: Statuses
    candidate: Statuses


class Budget(FrozenModel):
    name: Literal["max_new_pages", "max_dropped"]
    limit: int
    value: int
    exceeded: bool


class Counts(FrozenModel):
    recorded: int
    baseline: int
    candidate: int


class Totals(FrozenModel):
    raw_errors: int
    repeats_skipped: int = Field(description="re-keyed copies and redeliveries, counted once")
    undecodable: int
    problems: int
    #: Classified errors the record has, and how many the baseline classifies the same
    #: (category, severity, matched pattern): how closely the replay follows the services.
    recorded_classified: int
    baseline_agrees: int
    notifications: Counts
    pages: Counts
    new_pages: int
    dropped_notifications: int
    added_notifications: int


class Report(FrozenModel):
    start: datetime
    end: datetime
    totals: Totals
    regrouped: list[Regrouped]
    recategorised: list[Recategorised]
    notifications: list[ChannelLevel]
    notification_changes: list[NotificationChange]
    escalations: list[EscalationChange]
    fixes: list[FixChange]
    budgets: list[Budget]
    exceeded: bool
