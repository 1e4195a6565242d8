"""The analysis core: one raw error in, one classification out. No I/O; time is an argument.

:meth:`Analyzer.assess` is pure over the fingerprint's previous state: the service loads the
states of a batch from its store and saves what comes back. :meth:`Analyzer.analyze` keeps the
states itself in a bounded LRU map (the library's in-memory mode).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from services.analyzer.categorise import Match, PatternMatcher
from services.analyzer.fallback import Fallback
from services.analyzer.frequency import FingerprintState, TrendSettings, baseline, record
from services.analyzer.impact import ImpactModel, final_severity
from services.analyzer.patterns_file import ErrorPattern
from services.analyzer.suggestions import suggestions_for
from services.analyzer.templates import TemplateMiner
from shared.config import Settings
from shared.events import ClassifiedErrorData, Frequency, RawErrorData, Severity
from shared.recent import Recent

StateLoader = Callable[[str], FingerprintState | None]


def classification_text(error: RawErrorData) -> str:
    """Everything that describes the error, for pattern matching."""
    parts = [error.title]
    if error.message and error.message != error.title:
        parts.append(error.message)
    for exc in error.exception:
        parts.append(f"{exc.type or ''}: {exc.value or ''}")
    if error.culprit:
        parts.append(error.culprit)
    return "\n".join(parts)


@dataclass(frozen=True)
class Outcome:
    classified: ClassifiedErrorData
    state: FingerprintState
    #: The template cluster the error joined (its pattern id may be decided again when the
    #: service records the batch's templates).
    cluster_id: int


class Analyzer:
    def __init__(
        self,
        *,
        settings: Settings,
        patterns: Sequence[ErrorPattern],
        miner: TemplateMiner | None = None,
        load_state: StateLoader = lambda _: None,
    ) -> None:
        section = settings.analyzer
        self.matcher = PatternMatcher(patterns)
        self.fallback = Fallback()
        self.miner = miner or TemplateMiner(
            similarity=section.drain_similarity,
            depth=section.drain_depth,
            max_clusters=section.drain_max_clusters,
        )
        self.impact = ImpactModel(settings.analyzer, settings.business_impact)
        self.trend_settings = TrendSettings(
            alpha=section.baseline_alpha,
            spike_z=section.spike_z_threshold,
            spike_min_count=section.spike_min_count,
        )
        self.ttl_seconds = section.state_ttl_hours * 3600
        self.incident_window = section.incident_window_seconds
        self._load_state = load_state
        self._states: Recent[str, FingerprintState] = Recent(section.max_fingerprints)
        #: Ids of events whose classifications the broker acknowledged and the service's store
        #: still keeps (:mod:`services.analyzer.classify`): the next batch's transaction, or
        #: the service's stop, drops them.
        self.unmarked: list[str] = []

    def set_patterns(self, patterns: Sequence[ErrorPattern]) -> None:
        """Swap the pattern set (a reload); in-flight state is untouched."""
        self.matcher = PatternMatcher(patterns)

    def categorise(self, error: RawErrorData) -> Match:
        text = classification_text(error)
        return self.matcher.best(text) or self.fallback.guess(text)

    @property
    def max_states(self) -> int:
        """Most fingerprint states kept in memory (``analyzer.max_fingerprints``)."""
        return self._states.size

    @max_states.setter
    def max_states(self, size: int) -> None:
        self._states.size = size

    def state(self, fingerprint: str) -> FingerprintState | None:
        state = self._states.get(fingerprint)
        if state is None:
            state = self._load_state(fingerprint)
            if state is not None:
                self._states.put(fingerprint, state)
        return state

    def analyze(self, error: RawErrorData, *, now: float) -> Outcome:
        """Assess ``error`` against the state kept in memory, and keep the new one (its
        template's pattern is recorded in memory too)."""
        outcome = self.assess(error, self.state(error.fingerprint), now=now)
        self._states.put(error.fingerprint, outcome.state)
        self.miner.confirm(self.miner.settle(()))
        return outcome

    def assess(
        self, error: RawErrorData, previous: FingerprintState | None, *, now: float
    ) -> Outcome:
        """Classify ``error`` given its fingerprint's ``previous`` state (updated in place and
        returned as the outcome's state)."""
        match = self.categorise(error)
        template = self.miner.add(error.title)
        regression = False
        if error.status == "resolved":
            state, counts, trend = record(
                previous, now=now, occurrences=0, settings=self.trend_settings
            )
            state.resolved_at = now
        else:
            regression = previous is not None and previous.resolved_at is not None
            state, counts, trend = record(
                previous,
                now=now,
                occurrences=self._occurrences(error, previous),
                settings=self.trend_settings,
            )
            state.resolved_at = None
        if error.origin == "sentry_api":
            state.source_count = error.count
        base = Severity(match.pattern.severity) if match.pattern else error.severity
        severity = base
        impact = self.impact.score(error, severity, counts.last_hour)
        severity = final_severity(base, impact=impact, trend=trend, regression=regression)
        classified = ClassifiedErrorData(
            fingerprint=error.fingerprint,
            error=error,
            category=match.category,
            confidence=match.confidence,
            severity=severity,
            matched_pattern=match.pattern.id if match.pattern else None,
            resolution_strategy=match.pattern.resolution_strategy if match.pattern else None,
            suggested_actions=suggestions_for(match),
            template=template.template,
            pattern_id=template.pattern_id,
            impact_score=impact,
            trend=trend,
            frequency=Frequency(
                last_minute=counts.last_minute,
                last_hour=counts.last_hour,
                last_day=counts.last_day,
                first_seen=datetime.fromtimestamp(state.first_seen, UTC),
                baseline_per_minute=baseline(state, self.trend_settings),
            ),
            regression=regression,
        )
        return Outcome(classified=classified, state=state, cluster_id=template.cluster_id)

    @staticmethod
    def _occurrences(error: RawErrorData, previous: FingerprintState | None) -> int:
        """Sentry API counts are cumulative: count the growth (first sight counts once)."""
        if error.origin != "sentry_api":
            return error.count
        if previous is None or previous.source_count is None:
            return 1
        return max(1, error.count - previous.source_count)

    def expire(self, now: float) -> list[str]:
        """Forget in-memory states silent for longer than the TTL; return their fingerprints."""
        cutoff = now - self.ttl_seconds
        gone = [fp for fp, state in self._states.items() if state.last_seen < cutoff]
        for fingerprint in gone:
            self._states.drop(fingerprint)
        return gone

    def states(self) -> dict[str, FingerprintState]:
        return dict(self._states.items())
