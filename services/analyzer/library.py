"""The analyzer as a library, with the API users know:

from services.analyzer import ErrorAnalyzer
analyzer = ErrorAnalyzer()
result = analyzer.analyze_error({"message": "Database connection timeout after 30 seconds",
                                 "level": "error", "environment": "production"})
result.primary_category, result.confidence_score, result.suggested_actions
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from services.analyzer.core import Analyzer
from services.analyzer.frequency import counts_at, trend_of
from services.analyzer.library_store import StoredAnalysis
from services.analyzer.patterns_file import PATTERNS_FILE, load_patterns
from shared.clock import ReadTime
from shared.config import Settings, config_dir_from_env, load_settings
from shared.events import ClassifiedErrorData, RawErrorData, Trend, parse_severity
from shared.fingerprint import fingerprint


@dataclass(frozen=True)
class Classification:
    primary_category: str
    confidence_score: float
    suggested_actions: list[str]
    severity: str
    fingerprint: str
    template: str | None
    pattern_id: str | None
    matched_pattern: str | None
    resolution_strategy: str | None
    impact_score: int
    trend: Trend
    regression: bool
    last_minute: int
    last_hour: int
    last_day: int
    #: The incident's id (with a store: the service's correlation; in memory: none).
    incident: str | None = None

    @classmethod
    def of(cls, data: ClassifiedErrorData) -> Classification:
        return cls(
            primary_category=data.category,
            confidence_score=data.confidence,
            suggested_actions=list(data.suggested_actions),
            severity=data.severity.value,
            fingerprint=data.fingerprint,
            template=data.template,
            pattern_id=data.pattern_id,
            matched_pattern=data.matched_pattern,
            resolution_strategy=data.resolution_strategy,
            impact_score=data.impact_score,
            trend=data.trend,
            regression=data.regression,
            last_minute=data.frequency.last_minute,
            last_hour=data.frequency.last_hour,
            last_day=data.frequency.last_day,
            incident=data.incident.id if data.incident else None,
        )


@dataclass(frozen=True)
class TrendReport:
    trend: Trend
    last_minute: int
    last_hour: int
    last_day: int
    total: int


def raw_error_from(error_data: Mapping[str, Any] | RawErrorData) -> RawErrorData:
    """Accept the seed's dict form (``id``, ``message``, ``level``, ``environment``, ...)."""
    if isinstance(error_data, RawErrorData):
        return error_data
    title = str(error_data.get("title") or error_data.get("message") or "").strip()
    if not title:
        raise ValueError("error_data needs a 'title' or 'message'")
    service = error_data.get("service") or error_data.get("project") or error_data.get("source")
    explicit = error_data.get("fingerprint")
    if isinstance(explicit, list | tuple) and explicit:
        fp = fingerprint(kind="sdk", parts=[str(part) for part in explicit])
    else:
        fp = fingerprint(kind="message", parts=[str(service or ""), title])
    level = str(error_data.get("level") or error_data.get("severity") or "error")
    return RawErrorData(
        fingerprint=fp,
        origin="custom",
        title=title[:1000],
        message=error_data.get("message"),
        severity=parse_severity(level),
        level=level,
        service=service,
        environment=error_data.get("environment"),
        project=error_data.get("project"),
        tags=error_data.get("tags") or {},
        count=int(error_data.get("count") or 1),
        user_count=error_data.get("userCount") or error_data.get("user_count"),
        status="resolved" if error_data.get("status") == "resolved" else "firing",
    )


class ErrorAnalyzer:
    """Classify, score and trend errors in-process (the analyzer service uses the same core).

    State (counts, trends, template pattern ids) is kept in memory, unless ``store_url``
    (``sqlite:///path.db`` or ``postgresql://…``) names a store: then it lives there, as the
    service keeps it, so it survives a restart, processes sharing the store agree, and errors
    are correlated into incidents and dated by release. Close a stored analyzer with
    :meth:`close` (or use it in a ``with`` block)."""

    def __init__(
        self,
        patterns_path: Path | None = None,
        *,
        settings: Settings | None = None,
        clock: ReadTime = time.time,
        store_url: str | None = None,
    ) -> None:
        folder = config_dir_from_env()
        self.settings = settings or load_settings(folder)
        path = patterns_path or folder / PATTERNS_FILE
        self._core = Analyzer(settings=self.settings, patterns=load_patterns(path))
        self._clock = clock
        self._stored = (
            StoredAnalysis(store_url, self._core, self.settings.analyzer) if store_url else None
        )

    def __enter__(self) -> ErrorAnalyzer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Save what is kept in the store and close it (nothing to do in memory)."""
        if self._stored is not None:
            self._stored.close()
            self._stored = None

    def analyze_error(self, error_data: Mapping[str, Any] | RawErrorData) -> Classification:
        error, now = raw_error_from(error_data), self._clock()
        if self._stored is not None:
            return Classification.of(self._stored.analyze(error, now))
        return Classification.of(self._core.analyze(error, now=now).classified)

    def get_error_suggestions(self, error_data: Mapping[str, Any] | RawErrorData) -> list[str]:
        """Suggestions for an error, without recording it as an occurrence."""
        from services.analyzer.suggestions import suggestions_for

        return suggestions_for(self._core.categorise(raw_error_from(error_data)))

    def analyze_trends(self) -> dict[str, TrendReport]:
        """Trend and counts of every fingerprint seen, as of now."""
        now = self._clock()
        out: dict[str, TrendReport] = {}
        states = self._stored.states() if self._stored is not None else self._core.states()
        for fp, state in states.items():
            counts = counts_at(state, now)
            out[fp] = TrendReport(
                trend=trend_of(state, now, counts, self._core.trend_settings),
                last_minute=counts.last_minute,
                last_hour=counts.last_hour,
                last_day=counts.last_day,
                total=state.total,
            )
        return out
