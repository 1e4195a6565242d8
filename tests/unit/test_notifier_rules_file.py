"""The rules file: the seed loads unchanged, every condition compiles, problems say file:line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from services.notifier.expr import Expression
from services.notifier.policy import EscalationPolicy
from services.notifier.policy.levels import PhoneCallAction
from services.notifier.policy.rules import Speed
from services.notifier.rules_file import load_rules
from shared.errors import ConfigError
from shared.events import Target

REPO = Path(__file__).resolve().parents[2]
SHIPPED = REPO / "config" / "escalation_rules.yaml"
SEED = REPO / "tests" / "fixtures" / "notifier" / "seed_escalation_rules.yaml"

MINIMAL = """\
escalation_levels:
  level_0:
    name: Team
    timeout_minutes: 10
    actions:
      - type: slack_notification
        channels: ["#alerts"]
"""


def _conditions(policy: EscalationPolicy) -> list[Expression]:
    found: list[Expression] = []
    for trigger in policy.triggers.error_severity.values():
        found += trigger.conditions
    for time_trigger in policy.triggers.time_based.unresolved_duration.values():
        found += time_trigger.conditions
    for category in policy.category_rules.values():
        found += [rule.condition for rule in category.rules]
    for env in policy.environment_rules.values():
        found += [special.condition for special in env.special_conditions]
    for scenario in policy.special_scenarios.values():
        found += scenario.trigger_conditions
    found += policy.de_escalation.automatic_de_escalation.conditions
    return found


def test_seed_rules_load_and_every_condition_compiles() -> None:
    policy = load_rules(SEED)
    assert sorted(policy.levels) == [0, 1, 2, 3]
    conditions = _conditions(policy)
    assert len(conditions) == 42
    assert all(isinstance(c, Expression) for c in conditions)
    assert policy.global_settings.max_escalation_level == 3
    assert policy.environment_rules["production"].escalation_multiplier == 1.5
    assert policy.category_rules["security"].escalation_speed is Speed.IMMEDIATE
    assert policy.prevention_rules.rate_limiting.max_escalations_per_hour == 20
    assert policy.cooldown_seconds() == 300
    assert policy.timeout_seconds(2) == 20 * 60
    assert set(policy.triggers.time_based.unresolved_duration) == {
        "15_minutes",
        "30_minutes",
        "60_minutes",
    }


def test_seed_file_loads_unchanged(tmp_path: Path) -> None:
    copy = tmp_path / "escalation_rules.yaml"
    shutil.copy(SEED, copy)
    assert load_rules(copy) == load_rules(SEED)


def test_shipped_category_rules_name_the_pattern_categories() -> None:
    from services.analyzer.patterns_file import load_patterns

    policy = load_rules(SHIPPED)
    categories = {p.category for p in load_patterns(REPO / "config" / "error_patterns.json")}
    assert set(policy.category_rules) <= categories
    assert all(isinstance(c, Expression) for c in _conditions(policy))


def test_level_targets_follow_the_actions() -> None:
    policy = load_rules(SHIPPED)
    assert policy.level(1).targets() == (
        Target(type="slack", channel="#alerts"),
        Target(type="slack", channel="#dev-team"),
        Target(type="email", channel="dev-team@example.com"),
    )
    # phone_call goes through PagerDuty, on the level's service key
    assert policy.level(2).targets() == (
        Target(type="slack", channel="#oncall", mentions=["oncall"]),
        Target(type="slack", channel="#alerts", mentions=["oncall"]),
        Target(type="pagerduty", channel="oncall_service", mentions=["phone:oncall_engineer"]),
    )
    assert any(isinstance(a, PhoneCallAction) for a in policy.level(2).actions)
    assert Target(type="slack", channel="#management", mentions=["management"]) in (
        policy.level(3).targets()
    )


def _rules(tmp_path: Path, text: str) -> Path:
    """``text`` as the rules file ``rules.yaml`` in ``tmp_path``."""
    path = tmp_path / "rules.yaml"
    path.write_text(text)
    return path


def _minimal_plus(tmp_path: Path, extra: str) -> Path:
    """:data:`MINIMAL` followed by ``extra`` as the rules file (:func:`_rules`)."""
    return _rules(tmp_path, MINIMAL + extra)


def test_policy_digest_tells_versions_apart(tmp_path: Path) -> None:
    path = _rules(tmp_path, MINIMAL)
    first = load_rules(path)
    path.write_text(MINIMAL.replace("timeout_minutes: 10", "timeout_minutes: 11"))
    assert load_rules(path).digest != first.digest
    assert load_rules(SHIPPED).digest == load_rules(SHIPPED).digest


def _line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(needle)


def _problems(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_rules(path)
    return caught.value.problems


def test_bad_condition_in_the_shipped_file_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "escalation_rules.yaml"
    text = SHIPPED.read_text().replace(
        "error.message.contains('deadlock')", "error.message.contains('deadlock'", 1
    )
    path.write_text(text)
    line = _line_of(path, "contains('deadlock'\"")
    [problem] = _problems(path)
    assert problem.startswith(f"{path}:{line}: category_rules.database.rules.1.condition: ")
    assert "invalid condition" in problem
    assert "column 34: expected ')' closing the method call" in problem


def test_bad_conditions_everywhere_are_all_reported(tmp_path: Path) -> None:
    path = _minimal_plus(
        tmp_path,
        """\
triggers:
  error_severity:
    critical:
      immediate_level: 0
      conditions:
        - "error.level == 'fatal'"
        - "error.level = 'critical'"
special_scenarios:
  storm:
    trigger_conditions: ["count >>= 3"]
    escalate_to_level: 0
de_escalation:
  automatic_de_escalation:
    enabled: true
    conditions: [3]
""",
    )
    problems = _problems(path)
    assert len(problems) == 3
    line = _line_of(path, "error.level = 'critical'")
    assert f"{path}:{line}: triggers.error_severity.critical.conditions.1: invalid condition" in (
        problems[0] + problems[1] + problems[2]
    )
    text = "\n".join(problems)
    assert f"{path}:{_line_of(path, 'count >>= 3')}: special_scenarios.storm" in text
    assert "expected a condition written as a string" in text


@pytest.mark.parametrize(
    ("extra", "needle", "message"),
    [
        ("global_settings:\n  escalation_enabeld: true\n", "escalation_enabeld", "Extra inputs"),
        (
            "triggers:\n  time_based:\n    unresolved_duration:\n      15_minuts:\n"
            "        escalate_to_level: 0\n",
            "15_minuts",
            "durations are written like 15_minutes",
        ),
        (
            "environment_rules:\n  production:\n    escalation_multiplier: 0\n",
            "escalation_multiplier",
            "greater than 0",
        ),
        (
            "category_rules:\n  db:\n    escalation_speed: ludicrous\n",
            "ludicrous",
            "Input should be",
        ),
    ],
)
def test_structure_problems_name_file_and_line(
    tmp_path: Path, extra: str, needle: str, message: str
) -> None:
    path = _minimal_plus(tmp_path, extra)
    [problem] = _problems(path)
    assert problem.startswith(f"{path}:{_line_of(path, needle)}: ")
    assert message in problem


def test_action_problems_name_the_action_line(tmp_path: Path) -> None:
    path = _minimal_plus(
        tmp_path,
        """\
  level_1:
    name: Page
    timeout_minutes: 5
    actions:
      - type: slack_notification
        channels: []
      - type: carrier_pigeon
""",
    )
    problems = _problems(path)
    where = f"{path}:{_line_of(path, 'channels: []')}"
    assert problems[0].startswith(f"{where}: escalation_levels.level_1.actions.0.channels: ")
    assert f"{path}:{_line_of(path, 'carrier_pigeon')}: " in problems[1]


def test_phone_call_needs_a_pagerduty_service(tmp_path: Path) -> None:
    path = _minimal_plus(tmp_path, "      - type: phone_call\n        recipients: [oncall]\n")
    [problem] = _problems(path)
    assert "phone_call goes through PagerDuty" in problem
    path.write_text(
        MINIMAL + "      - type: phone_call\n        recipients: [oncall]\n        service_key: k\n"
    )
    assert load_rules(path).level(0).targets()[-1] == Target(
        type="pagerduty", channel="k", mentions=["phone:oncall"]
    )


def test_unknown_level_reference_is_reported_once(tmp_path: Path) -> None:
    path = _minimal_plus(tmp_path, "business_impact_rules:\n  high:\n    immediate_level: 4\n")
    [problem] = _problems(path)
    assert problem == (
        f"{path}:{_line_of(path, 'immediate_level: 4')}: "
        "business_impact_rules.high.immediate_level: unknown escalation level 4 (defined: 0)"
    )


def test_a_file_without_levels_is_rejected(tmp_path: Path) -> None:
    path = _rules(tmp_path, "global_settings:\n  escalation_enabled: true\n")
    [problem] = _problems(path)
    assert "escalation_levels" in problem
    path.write_text("escalation_levels:\n  first:\n    name: x\n")
    assert "level names are level_0" in _problems(path)[0]


def test_timeout_defaults_to_the_global_auto_escalation_timeout(tmp_path: Path) -> None:
    path = _rules(
        tmp_path,
        "global_settings:\n  auto_escalation_timeout_minutes: 45\n"
        "escalation_levels:\n  level_0:\n    name: x\n",
    )
    assert load_rules(path).timeout_seconds(0) == 45 * 60
