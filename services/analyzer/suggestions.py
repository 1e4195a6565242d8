"""What to try, from the matching pattern or, failing that, from the category."""

from __future__ import annotations

from typing import Final

from services.analyzer.categorise import Match

BY_CATEGORY: Final[dict[str, tuple[str, ...]]] = {
    "database": (
        "check database availability and connection pool usage",
        "look for long-running queries or locks",
    ),
    "network": (
        "check connectivity and DNS to the failing dependency",
        "check the dependency's status page",
    ),
    "timeout": ("check the latency of the slow dependency", "review timeout and retry settings"),
    "memory": ("check memory usage and limits", "look for a leak in the latest release"),
    "disk": ("free disk space or grow the volume", "check log rotation and temporary files"),
    "auth": ("check credentials and token expiry", "check recent permission changes"),
    "rate_limit": ("back off and retry later", "check quotas with the provider"),
    "configuration": (
        "check the latest configuration or deployment change",
        "compare environment variables with a healthy instance",
    ),
    "code": ("find the release that introduced it", "open an issue with the stack trace"),
}
DEFAULT: Final = ("investigate the error details and recent changes",)


def suggestions_for(match: Match) -> list[str]:
    out: list[str] = []
    if match.pattern is not None:
        if match.pattern.resolution_strategy:
            out.append(match.pattern.resolution_strategy)
        out.extend(f"check: {cause}" for cause in match.pattern.metadata.common_causes)
    out.extend(BY_CATEGORY.get(match.category, DEFAULT))
    return out
