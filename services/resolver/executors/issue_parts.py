"""What the resolver's issue strategies (GitHub, Jira) write about a problem."""

from __future__ import annotations

from services.resolver.strategy import ErrorContext
from shared.issue_parts import IssueParts


def issue_parts(error_context: ErrorContext) -> IssueParts:
    return IssueParts(
        intro="Opened by alertorch's resolver for one problem.",
        facts={
            "severity": error_context.severity,
            "category": error_context.category,
            "service": error_context.service,
            "environment": error_context.environment,
        },
        url=None,
        fingerprint=error_context.fingerprint,
        title=error_context.title,
    )
