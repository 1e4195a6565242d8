"""Settings: environment variables (the seed's names) layered over ``config/config.yaml``.

Precedence, highest first: environment variables (``ALERTORCH_<SECTION>__<KEY>`` for any
``config.yaml`` key, plus the named variables below), a ``.env`` file, ``config.yaml``, defaults.
Secrets are ``SecretStr``: they print as ``**********`` and never reach logs.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import AliasChoices, Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from shared.config.analyzer import AnalyzerSection, BusinessImpactSection, ErrorAnalysisSection
from shared.config.escalation import EscalationSection
from shared.config.ingest import IngestSection, SentrySection
from shared.config.integrations import IntegrationsSection
from shared.config.layers import CONFIG_FILE, read_config
from shared.config.monitoring import MonitoringSection
from shared.config.notification_templates import NotificationTemplatesSection
from shared.config.notifier import NotifierSection
from shared.config.oncall import OnCallSection
from shared.config.resolver import AutoResolutionSection
from shared.config.sections import (
    ComponentsSection,
    KafkaSection,
    MaintenanceSection,
    OperationSection,
    SecuritySection,
    StorageSection,
    SystemSection,
)
from shared.config.slack import SlackSection
from shared.config.yaml_lines import Where
from shared.errors import ConfigError

#: The folder a checkout (or ``alertorch init``) keeps the configuration in.
DEFAULT_CONFIG_DIR = Path("config")
#: The default configuration shipped inside the package (a link to the checkout's ``config/``).
PACKAGED_CONFIG_DIR = Path(__file__).resolve().parent / "defaults"


def _env(*names: str) -> Any:
    return Field(default=None, validation_alias=AliasChoices(*names))


class Settings(BaseSettings):
    """Everything a service reads at start-up."""

    model_config = SettingsConfigDict(
        env_prefix="ALERTORCH_",
        env_nested_delimiter="__",
        env_file=".env",
        extra="forbid",
        frozen=True,
        populate_by_name=False,
    )

    kafka_bootstrap_servers: str = Field(
        default="127.0.0.1:9092",
        validation_alias=AliasChoices("KAFKA_BOOTSTRAP_SERVERS"),
        min_length=1,
    )
    sentry_auth_token: SecretStr | None = _env("SENTRY_AUTH_TOKEN")
    sentry_organization: str | None = _env("SENTRY_ORGANIZATION")
    sentry_client_secret: SecretStr | None = _env("SENTRY_CLIENT_SECRET")
    slack_webhook_url: SecretStr | None = _env("SLACK_WEBHOOK_URL")
    slack_bot_token: SecretStr | None = _env("SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr | None = _env("SLACK_SIGNING_SECRET")
    github_token: SecretStr | None = _env("GITHUB_TOKEN")
    jira_token: SecretStr | None = _env("JIRA_TOKEN")
    jira_url: str | None = _env("JIRA_URL")
    pagerduty_api_key: SecretStr | None = _env("PAGERDUTY_API_KEY")
    alert_webhook_token: SecretStr | None = _env("ALERT_WEBHOOK_TOKEN")
    datadog_webhook_token: SecretStr | None = _env("DATADOG_WEBHOOK_TOKEN")
    smtp_password: SecretStr | None = _env("SMTP_PASSWORD")
    ingest_dsn_keys: str = Field(default="", validation_alias=AliasChoices("INGEST_DSN_KEYS"))
    #: The environment whose overlay applies (read by shared.config.layers; here so that a
    #: ``.env`` may set it).
    environment_overlay: str | None = _env("ALERTORCH_ENVIRONMENT")

    system: SystemSection = SystemSection()
    components: ComponentsSection = ComponentsSection()
    operation: OperationSection = OperationSection()
    sentry: SentrySection = SentrySection()
    slack: SlackSection = SlackSection()
    error_analysis: ErrorAnalysisSection = ErrorAnalysisSection()
    auto_resolution: AutoResolutionSection = AutoResolutionSection()
    escalation: EscalationSection = EscalationSection()
    business_impact: BusinessImpactSection = BusinessImpactSection()
    monitoring: MonitoringSection = MonitoringSection()
    integrations: IntegrationsSection = IntegrationsSection()
    security: SecuritySection = SecuritySection()
    storage: StorageSection = StorageSection()
    kafka: KafkaSection = KafkaSection()
    ingest: IngestSection = IngestSection()
    analyzer: AnalyzerSection = AnalyzerSection()
    notifier: NotifierSection = NotifierSection()
    notification_templates: NotificationTemplatesSection = NotificationTemplatesSection()
    advanced: dict[str, Any] = Field(default_factory=dict)
    development: dict[str, Any] = Field(default_factory=dict)
    maintenance: MaintenanceSection = MaintenanceSection()
    oncall: OnCallSection = OnCallSection()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The YAML document arrives as init kwargs; the environment overrides it.
        return env_settings, dotenv_settings, init_settings

    def with_dry_run(self) -> Settings:
        """A copy with ``operation.dry_run`` forced on (``--dry-run``)."""
        operation = self.operation.model_copy(update={"dry_run": True})
        return self.model_copy(update={"operation": operation})


_ENV_FIELDS = {
    name: str(field.validation_alias.choices[0])
    for name, field in Settings.model_fields.items()
    if isinstance(field.validation_alias, AliasChoices)
}


def reveal(secret: SecretStr | None) -> str | None:
    """The value of an optional secret, for the one call that needs it (never for logging)."""
    return secret.get_secret_value() if secret is not None else None


def config_dir_from_env() -> Path:
    """Where the configuration files are, in order: ``ALERTORCH_CONFIG_DIR`` (which
    ``--config-dir`` sets), else ``./config`` when it exists, else the packaged defaults."""
    explicit = os.environ.get("ALERTORCH_CONFIG_DIR")
    if explicit:
        return Path(explicit)
    if DEFAULT_CONFIG_DIR.is_dir():
        return DEFAULT_CONFIG_DIR
    return PACKAGED_CONFIG_DIR


def load_settings(config_dir: Path | None = None, *, environment: str | None = None) -> Settings:
    """Load settings from the folder's ``config.yaml`` (or the file ``--config`` named), the
    overlay of its environment (see :mod:`shared.config.layers`), and the environment.

    Raises :class:`ConfigError` with ``file:line`` for each problem.
    """
    folder = config_dir if config_dir is not None else config_dir_from_env()
    config = read_config(folder, environment=environment)
    for key in _ENV_FIELDS:
        if key in config.document:
            raise ConfigError(
                [
                    f"{config.lines.where((key,))}: {key} is set by the environment variable "
                    f"{_ENV_FIELDS[key]}, not in {CONFIG_FILE}"
                ]
            )
    try:
        return Settings(**config.document)
    except ValidationError as exc:
        raise ConfigError(settings_problems(exc, config.lines)) from None


def settings_problems(exc: ValidationError, lines: Where) -> list[str]:
    problems = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        dotted = ".".join(str(part) for part in loc)
        head = loc[0] if loc else ""
        if head in _ENV_FIELDS.values() or head in _ENV_FIELDS:
            where = f"environment variable {head}"
        else:
            where = lines.where(loc)
        problems.append(f"{where}: {dotted}: {err['msg']}")
    return problems
