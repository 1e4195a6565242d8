"""The two configurations a replay compares: the running one (the baseline) and the candidate.

Each is a config folder (``config.yaml``, ``error_patterns.json``, ``escalation_rules.yaml``);
the candidate's pattern and rules files may be given on their own. Every file is loaded and
checked the way the services load it, so a bad candidate is a :class:`ConfigError` naming file
and line.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from services.analyzer.patterns_file import PATTERNS_FILE, load_patterns
from services.cli.replay_resolver import ResolverSetup
from services.cli.replay_simulate import Setup
from services.notifier.rules_file import RULES_FILE, load_rules
from services.resolver.catalog import CatalogError, load_catalog
from services.resolver.engine import EngineSettings
from services.resolver.strategy import ResolutionStrategy
from shared.config import Settings, load_settings
from shared.errors import ConfigError


def load_setup(
    folder: Path,
    strategies: Mapping[str, ResolutionStrategy],
    *,
    patterns: Path | None = None,
    rules: Path | None = None,
    settings: Settings | None = None,
) -> Setup:
    """One side's configuration from ``folder``, ``patterns`` and ``rules`` replacing its files.

    ``strategies`` are the resolver's executors (only their safety level and whether they run
    once per problem are read; nothing is run).
    """
    settings = settings or load_settings(folder)
    try:
        catalog = load_catalog(settings.auto_resolution.strategies)
    except CatalogError as exc:
        raise ConfigError(exc.problems) from None
    for path in (patterns or folder / PATTERNS_FILE, rules or folder / RULES_FILE):
        if not path.is_file():
            raise ConfigError([f"{path}: file not found"])
    return Setup(
        settings=settings,
        patterns=tuple(load_patterns(patterns or folder / PATTERNS_FILE)),
        rules=load_rules(rules or folder / RULES_FILE),
        resolver=ResolverSetup(EngineSettings.of(settings, catalog), strategies),
    )
