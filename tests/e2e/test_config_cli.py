"""Configuration as a user points at it: ``--config FILE`` on any command, environment overlays
(``config/environments/<name>.yaml``), ``validate-config`` over every overlay, and
``alertorch config show`` (the effective configuration, secrets masked, no broker needed)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.procs import cli

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.e2e


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A deployment's folder: its config under another name, the other two files beside it."""
    shutil.copy(REPO / "config" / "error_patterns.json", tmp_path)
    shutil.copy(REPO / "config" / "escalation_rules.yaml", tmp_path)
    (tmp_path / "alertorch-prod.yaml").write_text(
        "system:\n  environment: production\n"
        "slack:\n  digest_interval_seconds: 20\n  notification_channels:\n    alerts: '#prod'\n"
        "sentry:\n  error_filters:\n    exclude_environments: [test, ci]\n"
    )
    (tmp_path / "environments").mkdir()
    (tmp_path / "environments" / "staging.yaml").write_text(
        "slack:\n  digest_interval_seconds: 60\n"
        "operation:\n  dry_run: true\n"
        "sentry:\n  error_filters:\n    exclude_environments: [load-test]\n"
    )
    return tmp_path


def _show(
    folder: Path, *more: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> dict[str, Any]:
    prod = str(folder / "alertorch-prod.yaml")
    shown = cli("config", "show", "--config", prod, "--json", *more, env=env, cwd=cwd)
    assert shown.returncode == 0, shown.stderr
    return json.loads(shown.stdout)  # type: ignore[no-any-return]


def test_config_file_under_any_name_with_its_siblings(folder: Path) -> None:
    checked = cli("validate-config", "--config", str(folder / "alertorch-prod.yaml"))
    assert checked.returncode == 0, checked.stderr
    assert f"{folder / 'alertorch-prod.yaml'}: ok (environment production)" in checked.stdout
    assert f"{folder / 'error_patterns.json'}: ok" in checked.stdout
    shown = _show(folder)
    settings = shown["settings"]
    assert isinstance(settings, dict)
    assert settings["slack"]["digest_interval_seconds"] == 20
    assert shown["sources"] == [str(folder / "alertorch-prod.yaml")]
    missing = cli("validate-config", "--config", str(folder / "nope.yaml"))
    assert missing.returncode == 2
    assert "no such file" in missing.stderr
    both = cli("validate-config", "--config", "x.yaml", "--config-dir", str(folder))
    assert both.returncode == 2  # one or the other


def test_the_environment_s_overlay_is_merged_over_the_file(folder: Path) -> None:
    production = _show(folder)["settings"]
    staging = _show(folder, "--environment", "staging")
    assert isinstance(production, dict)
    assert production["operation"]["dry_run"] is False
    assert staging["sources"] == [
        str(folder / "alertorch-prod.yaml"),
        str(folder / "environments" / "staging.yaml"),
    ]
    settings = staging["settings"]
    assert isinstance(settings, dict)
    assert settings["system"]["environment"] == "staging"
    assert settings["operation"]["dry_run"] is True
    assert settings["slack"]["digest_interval_seconds"] == 60  # the overlay's
    assert settings["slack"]["notification_channels"]["alerts"] == "#prod"  # merged, kept
    assert settings["sentry"]["error_filters"]["exclude_environments"] == [
        "load-test"
    ]  # lists replace
    by_variable = _show(folder, env={"ALERTORCH_ENVIRONMENT": "staging"})["settings"]
    assert by_variable == settings


def test_validate_config_checks_every_overlay_at_its_file_and_line(folder: Path) -> None:
    (folder / "environments" / "development.yaml").write_text(
        "slack:\n  digest_interval_seconds: -1\n"
    )
    (folder / "environments" / "qa.yaml").write_text("slack: {}\n")
    checked = cli("validate-config", "--config", str(folder / "alertorch-prod.yaml"))
    assert checked.returncode == 1
    overlay = folder / "environments" / "development.yaml"
    assert f"error: {overlay}:2: slack.digest_interval_seconds:" in checked.stderr
    assert f"{folder / 'environments' / 'qa.yaml'}: 'qa' is not an environment" in checked.stderr
    assert f"{folder / 'environments' / 'staging.yaml'}: ok" in checked.stdout


def test_config_show_masks_secrets_and_needs_no_broker(folder: Path) -> None:
    env = {
        "SLACK_BOT_TOKEN": "xoxb-very-secret",
        "ALERT_WEBHOOK_TOKEN": "hunter2",
        "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1",  # nothing listens there
    }
    shown = cli("config", "show", "--config", str(folder / "alertorch-prod.yaml"), env=env)
    assert shown.returncode == 0, shown.stderr
    assert "xoxb-very-secret" not in shown.stdout
    assert "hunter2" not in shown.stdout
    assert "slack_bot_token: '**********'" in shown.stdout
    assert f"# from {folder / 'alertorch-prod.yaml'}" in shown.stdout


@pytest.mark.parametrize("variable", ["ALERTORCH_ENVIRONMENT", "ALERTORCH_SYSTEM__ENVIRONMENT"])
def test_an_environment_named_in_dot_env_chooses_its_overlay(folder: Path, variable: str) -> None:
    workdir = folder / "work"
    workdir.mkdir()
    (workdir / ".env").write_text(f"{variable}=staging\n")
    assert "ALERTORCH_ENVIRONMENT" not in os.environ  # isolated_env: the .env alone names it
    document = _show(folder, cwd=workdir)
    assert document["sources"][-1] == str(folder / "environments" / "staging.yaml")
    assert document["settings"]["system"]["environment"] == "staging"
    assert document["settings"]["operation"]["dry_run"] is True
