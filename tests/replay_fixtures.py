"""Small pattern and rules files for ``alertorch replay``'s tests: level 0 tells ``#alerts``;
level 1 pages (PagerDuty, ``#oncall`` mentioning on-call); level 2 e-mails. ``RULES`` takes
``high_level`` (where a high-severity error opens) and ``level_0_minutes``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DB = {
    "id": "db_timeout",
    "name": "Database timeout",
    "pattern": "(?i)database timeout",
    "category": "database",
    "severity": "high",
    "confidence": 0.9,
    "resolution_strategy": "bump_pool",
}
UPSTREAM = {
    "id": "upstream_error",
    "name": "Upstream 5xx",
    "pattern": r"(?i)provider returning 5\d\d",
    "category": "dependency",
    "severity": "high",
    "confidence": 0.8,
}
PAYMENT = {
    "id": "payment_gateway",
    "name": "Payment provider down",
    "pattern": "(?i)payment provider",
    "category": "payment",
    "severity": "critical",
    "confidence": 0.95,
}
RULES = """
global_settings:
  escalation_enabled: true
  max_escalation_level: 2
  escalation_cooldown_minutes: 0
escalation_levels:
  level_0:
    name: Team
    timeout_minutes: {level_0_minutes}
    actions:
      - {{type: slack_notification, channels: ["#alerts"]}}
  level_1:
    name: On call
    timeout_minutes: 20
    actions:
      - {{type: slack_notification, channels: ["#oncall"], mention_oncall: true}}
      - {{type: pagerduty_alert, service_key: oncall}}
  level_2:
    name: Managers
    actions:
      - {{type: email_notification, recipients: ["boss@example.com"]}}
triggers:
  error_severity:
    critical:
      immediate_level: 1
    high:
      immediate_level: {high_level}
"""


def write_side(
    folder: Path, patterns: list[dict[str, Any]], *, high_level: int = 0, level_0_minutes: int = 30
) -> Path:
    """``error_patterns.json`` and ``escalation_rules.yaml`` in ``folder`` (made if missing)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "error_patterns.json").write_text(json.dumps({"patterns": patterns}))
    rules = RULES.format(high_level=high_level, level_0_minutes=level_0_minutes)
    (folder / "escalation_rules.yaml").write_text(rules)
    return folder
