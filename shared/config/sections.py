"""The sections of ``config/config.yaml``, with the defaults the product ships.

Unknown keys are errors (a typo must not silently fall back to a default). ``alertorch
validate-config`` reports them with file and line.
"""

from __future__ import annotations

from typing import Any, Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field

from shared.config.knobs import BackoffSeconds
from shared.events import SafetyLevel
from shared.models import StrictFrozenModel

Environment = Literal["production", "staging", "development"]
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]
Criticality = Literal["critical", "high", "medium", "low"]


class SystemSection(StrictFrozenModel):
    name: str = "Alert Orchestrator"
    version: str = "1.0.0"
    environment: Environment = "production"
    log_level: LogLevel = "INFO"


class ComponentsSection(StrictFrozenModel):
    sentry_enabled: bool = True
    slack_enabled: bool = True
    auto_resolution_enabled: bool = True
    error_analysis_enabled: bool = True


class OperationSection(StrictFrozenModel):
    dry_run: bool = False
    monitoring_interval: int = Field(default=300, ge=5, description="Seconds between Sentry polls.")
    max_concurrent_resolutions: int = Field(default=3, ge=1)
    resolution_timeout: int = Field(default=600, ge=1)
    auto_approve_up_to: SafetyLevel = "safe"
    approval_timeout_minutes: float = Field(
        default=60, gt=0, description="An approval request expires after this."
    )


def known_zone(value: str) -> str:
    """``value`` when it names an IANA time zone (``Europe/Berlin``); ValueError otherwise."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r}") from None
    return value


Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
WEEKDAYS: tuple[Weekday, ...] = get_args(Weekday)


class ScheduledMaintenance(StrictFrozenModel):
    enabled: bool = True
    daily_cleanup_hour: int = Field(default=2, ge=0, le=23)
    weekly_report_day: Weekday = Field(
        default="sunday", description="The day the weekly report (monitoring.reporting) is sent."
    )


class MaintenanceSection(StrictFrozenModel):
    scheduled_maintenance: ScheduledMaintenance = ScheduledMaintenance()
    updates: dict[str, Any] = Field(default_factory=dict)


class SecuritySection(StrictFrozenModel):
    api_keys: dict[str, Any] = Field(default_factory=dict)
    audit_logging: dict[str, Any] = Field(default_factory=dict)
    access_control: dict[str, Any] = Field(default_factory=dict)


class StorageSection(StrictFrozenModel):
    url: str = Field(
        default="",
        description="Where every service keeps its tables: postgresql://user:password@host:port/db"
        " for replicas; empty means a SQLite file per service in data_directory. Each service's"
        " own store_url setting overrides it.",
    )
    data_directory: str = "./data"
    persistence: dict[str, bool] = Field(default_factory=dict)
    cleanup: dict[str, Any] = Field(default_factory=dict)


class KafkaSection(StrictFrozenModel):
    group_prefix: str = Field(
        default="alertorch",
        min_length=1,
        description="Consumer groups are <group_prefix>-<service>; change it to run two "
        "deployments on one cluster.",
    )
    topic_partitions: int = Field(default=6, ge=1, le=1000)
    replication_factor: int = Field(default=1, ge=1)
    enable_idempotence: bool = Field(
        default=False, description="Idempotent producer; on for Apache Kafka (Tansu lacks it)."
    )
    max_retries: int = Field(
        default=5, ge=0, description="Redeliveries of a failing message before it is dead-lettered."
    )
    retry_backoff_seconds: BackoffSeconds = 0.5
    max_retry_backoff_seconds: BackoffSeconds = 30.0
    dlq_max_per_minute: int = Field(
        default=120,
        ge=1,
        description="Dead-letter budget per consumer; past it the consumer stops and goes unready "
        "instead of dead-lettering everything.",
    )
    batch_max_records: int = Field(
        default=500, ge=1, le=10_000, description="Most messages a consumer handles as one batch."
    )
    batch_max_wait_ms: int = Field(
        default=10,
        ge=1,
        le=1000,
        description="How long a consumer waits for messages when none are there; what is there "
        "is taken at once, so a lone alert never waits for a batch to fill.",
    )
    fetch_max_wait_ms: int = Field(
        default=20,
        ge=1,
        le=5000,
        description="Longest a consumer's fetch waits on the broker for new messages: the floor "
        "of each hop's latency when the broker does not answer a waiting fetch early.",
    )
    background_fetch_max_wait_ms: int = Field(
        default=250,
        ge=1,
        le=5000,
        description="The same for consumers off the alert path (commands, silences, the "
        "console's read model): an idle consumer polls the broker this often.",
    )
    bulk_fetch_min_bytes: int = Field(
        default=65536,
        ge=1,
        le=52_428_800,
        description="How much a fetch of a bulk consumer off the alert path (the console's read "
        "model, which reads every event) waits to be there, up to "
        "kafka.background_fetch_max_wait_ms: under load it reads larger batches and pays each "
        "batch's fixed cost less often.",
    )
    refetch_skipped_offsets: bool = Field(
        default=True,
        description="A consumer given a partition's offsets with one missing reads the "
        "partition again from the missing one, once, before it handles what came after: the "
        "embedded broker now and then leaves a record out of what a consumer is given. A gap "
        "still there on the second read (a compacted record, a transaction marker) is passed.",
    )
    graceful_timeout_seconds: float = Field(default=15.0, gt=0)
    session_timeout_ms: int = Field(
        default=10000, ge=500, description="Consumer group session timeout."
    )
    heartbeat_interval_ms: int = Field(default=3000, ge=100)
    rebalance_timeout_ms: int = Field(
        default=10000, ge=500, description="Time members get to rejoin during a rebalance."
    )
