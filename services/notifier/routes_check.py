"""Escalation levels that send to an integration switched off: a warning for
``validate-config`` (at run time those deliveries are skipped quietly, not failed one by one)."""

from __future__ import annotations

from services.notifier.policy.model import EscalationPolicy
from shared.config import Settings
from shared.config.yaml_lines import LineMap

#: Target type -> the integration setting that switches it on.
SWITCHES = {"email": "email", "pagerduty": "pagerduty", "github": "github", "jira": "jira"}


def disabled_routes(policy: EscalationPolicy, settings: Settings, lines: LineMap) -> list[str]:
    found = []
    for name, level in policy.escalation_levels.items():
        kinds = sorted({t.type for t in level.targets()} & SWITCHES.keys())
        for kind in kinds:
            integration = getattr(settings.integrations, SWITCHES[kind])
            if not integration.enabled:
                found.append(
                    f"{lines.where(('escalation_levels', name, 'actions'))}: {name} sends to "
                    f"{kind}, but integrations.{SWITCHES[kind]}.enabled is false: those "
                    "deliveries are skipped"
                )
    return found
