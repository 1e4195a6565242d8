"""Where strategies are found: built-ins, ``register_custom_strategy()`` at run time, and the
``alertorch.strategies`` entry-point group of installed packages."""

from __future__ import annotations

from importlib.metadata import entry_points

import structlog

from services.resolver.strategy import ResolutionStrategy
from shared.errors import AlertorchError

log = structlog.get_logger(__name__)

ENTRY_POINT_GROUP = "alertorch.strategies"

_CUSTOM: dict[str, ResolutionStrategy] = {}


class StrategyError(AlertorchError):
    """A strategy cannot be registered or loaded."""


def register_custom_strategy(strategy: ResolutionStrategy) -> None:
    """Make ``strategy`` available to catalog entries as ``executor: <strategy.name>``."""
    if not isinstance(strategy, ResolutionStrategy):
        raise StrategyError("a custom strategy must subclass ResolutionStrategy")
    _CUSTOM[strategy.name] = strategy


def unregister_custom_strategy(name: str) -> None:
    _CUSTOM.pop(name, None)


def custom_strategies() -> dict[str, ResolutionStrategy]:
    """Registered strategies plus those of installed packages' entry points."""
    found = dict(_CUSTOM)
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        try:
            loaded = entry.load()
            strategy = loaded() if isinstance(loaded, type) else loaded
        except Exception as exc:  # noqa: BLE001 - a broken plugin must not stop the resolver
            log.error("strategy plugin failed to load", entry_point=entry.name, error=repr(exc))
            continue
        if isinstance(strategy, ResolutionStrategy):
            found.setdefault(strategy.name, strategy)
        else:
            log.error("entry point is not a ResolutionStrategy", entry_point=entry.name)
    return found
