from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import structlog
from pydantic import SecretStr

from shared.config import load_settings
from shared.errors import ConfigError
from shared.logging import configure_logging

REPO = Path(__file__).resolve().parents[2]


def test_shipped_config_loads_with_seed_defaults() -> None:
    settings = load_settings(REPO / "config")
    assert settings.operation.monitoring_interval == 300
    assert settings.operation.max_concurrent_resolutions == 3
    assert settings.operation.dry_run is False
    assert settings.auto_resolution.safety_settings.max_actions_per_hour == 10
    assert settings.auto_resolution.rollback_settings.rollback_timeout == 300
    assert settings.sentry.fetch_settings.default_limit == 100
    assert settings.kafka_bootstrap_servers == "127.0.0.1:9092"


def test_missing_file_gives_defaults(tmp_path: Path) -> None:
    settings = load_settings(tmp_path)
    assert settings.system.environment == "production"
    assert settings.kafka.max_retries == 5


def test_environment_overrides_yaml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "config.yaml").write_text(
        "operation:\n  dry_run: false\n  monitoring_interval: 60\n"
    )
    monkeypatch.setenv("ALERTORCH_OPERATION__DRY_RUN", "true")
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "kafka-1:9092,kafka-2:9092")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-secret-value")
    settings = load_settings(tmp_path)
    assert settings.operation.dry_run is True
    assert settings.operation.monitoring_interval == 60  # kept from YAML
    assert settings.kafka_bootstrap_servers == "kafka-1:9092,kafka-2:9092"
    assert isinstance(settings.slack_bot_token, SecretStr)
    assert settings.slack_bot_token.get_secret_value() == "xoxb-secret-value"
    assert "xoxb-secret-value" not in repr(settings)
    assert "xoxb-secret-value" not in settings.model_dump_json()


def test_dry_run_flag() -> None:
    assert load_settings(REPO / "config").with_dry_run().operation.dry_run is True


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "operation:\n  dry_run: false\n  max_concurrent_resolutions: zero\n",
            "config.yaml:3: operation.max_concurrent_resolutions: Input should be a valid integer",
        ),
        ("operation:\n  dry_runn: true\n", "config.yaml:2: operation.dry_runn: Extra inputs"),
        ("system:\n  name: x\n   bad: indent\n", "config.yaml:3:7: YAML syntax error"),
        ("slack_bot_token: xoxb\n", "config.yaml:1: slack_bot_token is set by the environment"),
        ("- a list\n", "config.yaml:1: expected a mapping"),
    ],
)
def test_errors_name_file_and_line(tmp_path: Path, text: str, expected: str) -> None:
    (tmp_path / "config.yaml").write_text(text)
    with pytest.raises(ConfigError) as info:
        load_settings(tmp_path)
    assert any(expected in problem for problem in info.value.problems), info.value.problems


def test_bad_environment_value_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ALERTORCH_OPERATION__MONITORING_INTERVAL", "often")
    with pytest.raises(ConfigError, match="monitoring_interval"):
        load_settings(tmp_path)


def test_secrets_never_reach_logs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-do-not-log")
    settings = load_settings(tmp_path)
    buffer = io.StringIO()
    monkeypatch.setattr("sys.stderr", buffer)
    configure_logging("INFO", json=True)
    log = structlog.get_logger("test")
    log.info(
        "starting",
        token=settings.slack_bot_token,
        slack_bot_token="xoxb-do-not-log",
        settings=repr(settings),
        correlation_id="c-1",
    )
    line = json.loads(buffer.getvalue().strip().splitlines()[-1])
    assert "xoxb-do-not-log" not in buffer.getvalue()
    assert line["token"] == "**********"
    assert line["correlation_id"] == "c-1"


def test_bound_context_reaches_every_line(monkeypatch: pytest.MonkeyPatch) -> None:
    from shared.logging import bound_context

    buffer = io.StringIO()
    monkeypatch.setattr("sys.stderr", buffer)
    configure_logging("INFO", json=True)
    log = structlog.get_logger("test")
    with bound_context(correlation_id="corr-9", event_id="ev-1", topic="errors.raw"):
        log.info("inside")
    log.info("outside")
    inside, outside = (json.loads(line) for line in buffer.getvalue().splitlines()[-2:])
    assert inside["correlation_id"] == "corr-9"
    assert inside["event_id"] == "ev-1"
    assert "correlation_id" not in outside
