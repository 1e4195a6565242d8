"""The topic registry: the one place that names every topic and its contract.

Each entry gives the topic's name and DLQ twin, what its key is, the event model for each schema
version, the services producing and consuming it, and example messages
(``shared/examples/<topic>/``)
that a test validates against the models.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any, Final

from shared.events import (
    AuditRecord,
    ClassifiedError,
    Command,
    Envelope,
    Notification,
    RawError,
    Resolution,
    Silence,
    decode_event,
    decode_raw_error,
    load_json_object,
)

ERRORS_RAW: Final = "errors.raw"
ERRORS_CLASSIFIED: Final = "errors.classified"
RESOLUTIONS: Final = "resolutions"
NOTIFICATIONS: Final = "notifications"
COMMANDS: Final = "commands"
AUDIT: Final = "audit"
SILENCES: Final = "silences"

DLQ_SUFFIX: Final = ".dlq"


@dataclass(frozen=True, kw_only=True)
class TopicSpec:
    name: str
    key: str
    description: str
    versions: Mapping[int, type[Envelope]]
    producers: tuple[str, ...]
    consumers: tuple[str, ...]
    accepts_custom_alert: bool = False

    @property
    def dlq(self) -> str:
        return self.name + DLQ_SUFFIX

    @property
    def latest(self) -> type[Envelope]:
        return self.versions[max(self.versions)]

    def decode(self, value: bytes | None, *, coordinates: str = "", producer: str = "") -> Envelope:
        """Decode a message value of this topic; raises :class:`shared.errors.InvalidMessage`."""
        if self.accepts_custom_alert:
            return decode_raw_error(value, coordinates=coordinates, producer=producer)
        return decode_event(load_json_object(value), dict(self.versions))

    def examples(self) -> dict[str, dict[str, Any]]:
        """Example messages shipped for this topic, by file name."""
        folder = resources.files("shared").joinpath("examples", self.name)
        out: dict[str, dict[str, Any]] = {}
        for entry in sorted(folder.iterdir(), key=lambda e: e.name):
            if entry.name.endswith(".json"):
                out[entry.name] = json.loads(entry.read_text(encoding="utf-8"))
        return out


TOPICS: Final[tuple[TopicSpec, ...]] = (
    TopicSpec(
        name=ERRORS_RAW,
        key="fingerprint (the grouping key: Sentry issue id, dedup key, or message hash)",
        description="Every error occurrence as a source reported it, normalised. Any Kafka "
        "producer may publish a bare custom alert here.",
        versions={1: RawError},
        producers=("ingest", "any Kafka producer"),
        consumers=("analyzer",),
        accepts_custom_alert=True,
    ),
    TopicSpec(
        name=ERRORS_CLASSIFIED,
        key="fingerprint",
        description="One classified, scored and trended error per raw error.",
        versions={1: ClassifiedError},
        producers=("analyzer",),
        consumers=("resolver", "api"),
    ),
    TopicSpec(
        name=RESOLUTIONS,
        key="fingerprint",
        description="Every decision and state change of the resolver.",
        versions={1: Resolution},
        producers=("resolver",),
        consumers=("notifier", "api"),
    ),
    TopicSpec(
        name=NOTIFICATIONS,
        key="fingerprint",
        description="What to tell whom; delivered by the notifier to Slack, PagerDuty, GitHub.",
        versions={1: Notification},
        producers=("notifier", "any producer"),
        consumers=("notifier", "api"),
    ),
    TopicSpec(
        name=COMMANDS,
        key="fingerprint",
        description="Actions people take: ack, approve, reject, rollback, snooze, escalate, "
        "resolve, retry, create_issue.",
        versions={1: Command},
        producers=("notifier", "api"),
        consumers=("resolver", "notifier", "api"),
    ),
    TopicSpec(
        name=AUDIT,
        key="fingerprint",
        description="Who or what did what and when, for every action.",
        versions={1: AuditRecord},
        producers=("ingest", "analyzer", "resolver", "notifier", "api"),
        consumers=("api",),
    ),
    TopicSpec(
        name=SILENCES,
        key="silence id",
        description="Silences and maintenance windows: each event is one silence's whole state "
        "(created, ended early).",
        versions={1: Silence},
        producers=("api", "notifier"),
        consumers=("resolver", "notifier", "api"),
    ),
)

_BY_NAME: Final = {spec.name: spec for spec in TOPICS}


def topic(name: str) -> TopicSpec:
    """The registry entry for ``name``; raises ``KeyError`` for an unknown topic."""
    return _BY_NAME[name]


def all_topic_names() -> list[str]:
    """Every topic and its DLQ twin, in registry order."""
    return [name for spec in TOPICS for name in (spec.name, spec.dlq)]
