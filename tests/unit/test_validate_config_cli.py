"""``alertorch validate-config`` run as users run it, on broken copies of the shipped files."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.procs import cli

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "config"
    shutil.copytree(REPO / "config", folder)
    return folder


def _line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")


def _validate(config_dir: Path, *, exits: int) -> subprocess.CompletedProcess[str]:
    """``alertorch validate-config`` on ``config_dir``, which must exit with ``exits``."""
    result = cli("validate-config", "--config-dir", str(config_dir))
    assert result.returncode == exits, result.stderr
    return result


def test_shipped_config_is_valid(config_dir: Path) -> None:
    assert "error_patterns.json: ok" in _validate(config_dir, exits=0).stdout


@pytest.mark.parametrize(
    ("index", "regex", "detail"),
    [
        (1, "(?:database|db).{0,50}(refused", "missing )"),
        # a backreference: RE2 cannot run it in linear time
        (0, r"(\w+)\s+\1", "invalid escape sequence"),
    ],
    ids=["broken", "not-linear-time"],
)
def test_a_bad_regex_is_rejected_with_file_and_line(
    config_dir: Path, index: int, regex: str, detail: str
) -> None:
    path = config_dir / "error_patterns.json"
    document = json.loads(path.read_text())
    document["patterns"][index]["pattern"] = regex
    path.write_text(json.dumps(document, indent=2))
    line = _line_of(path, json.dumps(regex))
    stderr = _validate(config_dir, exits=1).stderr
    assert f"{path}:{line}: pattern {document['patterns'][index]['id']}: invalid regex" in stderr
    assert detail in stderr


def test_unknown_escalation_level_is_rejected_with_file_and_line(config_dir: Path) -> None:
    path = config_dir / "escalation_rules.yaml"
    text = path.read_text().replace("immediate_level: 2\n", "immediate_level: 7\n", 1)
    path.write_text(text)
    line = _line_of(path, "immediate_level: 7")
    stderr = _validate(config_dir, exits=1).stderr
    assert f"{path}:{line}: " in stderr
    assert "unknown escalation level 7 (defined: 0, 1, 2, 3)" in stderr


def test_yaml_syntax_error_is_rejected_with_file_and_line(config_dir: Path) -> None:
    path = config_dir / "config.yaml"
    lines = path.read_text().splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith("operation:"))
    lines[index + 1] = "  dry_run: [unclosed"
    path.write_text("\n".join(lines) + "\n")
    stderr = _validate(config_dir, exits=1).stderr
    assert f"{path}:" in stderr
    assert "YAML syntax error" in stderr
    # The line is where the parser noticed, at or after the broken line.
    reported = int(stderr.split(f"{path}:")[1].split(":")[0])
    assert reported >= index + 2


def test_yaml_syntax_error_in_rules_file(config_dir: Path) -> None:
    path = config_dir / "escalation_rules.yaml"
    path.write_text("escalation_levels:\n  level_0:\n    name: 'unterminated\n")
    stderr = _validate(config_dir, exits=1).stderr
    assert f"{path}:" in stderr
    assert "YAML syntax error" in stderr


def test_every_problem_is_reported_at_once(config_dir: Path) -> None:
    (config_dir / "escalation_rules.yaml").unlink()
    path = config_dir / "error_patterns.json"
    path.write_text('{"patterns": [{"id": "x"}]')
    stderr = _validate(config_dir, exits=1).stderr
    assert "escalation_rules.yaml: file not found" in stderr
    assert f"{path}:1:" in stderr
    assert "JSON syntax error" in stderr
    assert "2 problem(s) found" in stderr


def test_strategy_catalog_is_checked(config_dir: Path) -> None:
    path = config_dir / "config.yaml"
    text = path.read_text().replace(
        "  strategies: {}\n",
        "  strategies:\n"
        "    restart_service:\n"
        "      executor: restart_service\n"
        "      max_per_hour: -1\n"
        "    purge_cdn:\n"
        "      executor: teleport\n"
        "    scale_web:\n"
        "      executor: scale_up\n"
        "      fallback: [restart_web]\n",
    )
    path.write_text(text)
    line = _line_of(path, "max_per_hour: -1")
    fallback_line = _line_of(path, "fallback: [restart_web]")
    stderr = _validate(config_dir, exits=1).stderr
    assert (
        f"{path}:{line}: auto_resolution.strategies.restart_service.max_per_hour: "
        "Input should be greater than or equal to 0"
    ) in stderr
    assert "executor 'teleport' is neither built in nor a registered custom strategy" in stderr
    assert (
        f"{path}:{fallback_line}: auto_resolution.strategies.scale_web.fallback: "
        "'restart_web' is not in the catalog"
    ) in stderr


def test_unbound_pattern_strategies_are_a_warning(config_dir: Path) -> None:
    stderr = _validate(config_dir, exits=0).stderr
    assert "warning: " in stderr
    assert "not bound in auto_resolution.strategies" in stderr
    assert "restart_service" in stderr


def test_settings_that_do_nothing_yet_are_named_with_their_line(config_dir: Path) -> None:
    path = config_dir / "config.yaml"
    result = _validate(config_dir, exits=0)
    line = _line_of(path, "revenue_thresholds:")
    assert (
        f"warning: {path}:{line}: business_impact.revenue_thresholds is accepted but has no "
        "effect in this build"
    ) in result.stderr
    line = _line_of(path, "  thresholds:")
    assert (
        f"warning: {path}:{line}: escalation.thresholds is accepted but has no effect in this "
        "build; escalation_rules.yaml triggers (time_based, frequency_based) escalate by age, "
        "occurrences and failed fixes per hour"
    ) in result.stderr
    for working in (
        "slack.rate_limiting.cooldown_seconds",
        "notification_channels.resolutions",
        "notification_templates",
    ):
        assert working not in result.stderr  # they take effect now
    path.write_text(path.read_text().replace("\nmonitoring:", "\nunused_monitoring:"))
    again = _validate(config_dir, exits=1)  # the unknown section is an error, as ever
    assert "monitoring is accepted" not in again.stderr  # but removed, no longer named


def test_levels_that_send_to_a_disabled_integration_are_a_warning(config_dir: Path) -> None:
    rules = config_dir / "escalation_rules.yaml"
    stderr = _validate(config_dir, exits=0).stderr
    assert f"warning: {rules}:" in stderr
    assert "sends to pagerduty, but integrations.pagerduty.enabled is false" in stderr
    enabled = cli(
        "validate-config",
        "--config-dir",
        str(config_dir),
        env={"ALERTORCH_INTEGRATIONS__PAGERDUTY__ENABLED": "true"},
    )
    assert "integrations.pagerduty.enabled is false" not in enabled.stderr


def test_an_unknown_placeholder_in_notification_templates_is_an_error(config_dir: Path) -> None:
    path = config_dir / "config.yaml"
    text = path.read_text().replace("\\n{title}\\n{description}", "\\n{titel}\\n{0.__class__}", 1)
    path.write_text(text)
    line = _line_of(path, "{titel}")
    assert (
        f"{path}:{line}: notification_templates.alert_formats.slack.critical: Value error, "
        "unknown placeholder {titel}, {0.__class__}; allowed: {title}, {description}, "
        "{severity}, {service}, {environment}, {count}"
    ) in _validate(config_dir, exits=1).stderr
