"""The resolver: decide and run safe automated fixes."""

from services.resolver.library import AutoResolver
from services.resolver.registry import register_custom_strategy
from services.resolver.strategy import ErrorContext, ResolutionStrategy, StrategyResult

__all__ = [
    "AutoResolver",
    "ErrorContext",
    "ResolutionStrategy",
    "StrategyResult",
    "register_custom_strategy",
]
