"""The analysis core: categorisation, fallback, templates, frequency, trend, impact."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.analyzer.categorise import PatternMatcher, PatternSet
from services.analyzer.core import Analyzer
from services.analyzer.fallback import Fallback
from services.analyzer.frequency import FingerprintState, TrendSettings, counts_at, record
from services.analyzer.impact import ImpactModel, final_severity
from services.analyzer.pattern_ids import new_pattern_id
from services.analyzer.patterns_file import ErrorPattern, load_patterns
from services.analyzer.templates import TemplateMiner
from shared.config import load_settings
from shared.events import RawErrorData, Severity, Trend
from shared.fingerprint import fingerprint

REPO = Path(__file__).resolve().parents[2]
T0 = 1_800_000_000.0  # a minute boundary


def _pattern(pid: str, regex: str, category: str, confidence: float) -> ErrorPattern:
    return ErrorPattern(
        id=pid, name=pid, pattern=regex, category=category, severity="high", confidence=confidence
    )


def _error(title: str, **fields: object) -> RawErrorData:
    data: dict[str, object] = {
        "fingerprint": fingerprint(kind="message", parts=["svc", title]),
        "origin": "custom",
        "title": title,
        "severity": "high",
        "service": "svc",
    }
    data.update(fields)
    return RawErrorData.model_validate(data)


def _analyzer() -> Analyzer:
    settings = load_settings(REPO / "config")
    return Analyzer(
        settings=settings, patterns=load_patterns(REPO / "config" / "error_patterns.json")
    )


def test_most_confident_matching_pattern_wins() -> None:
    matcher = PatternMatcher(
        [
            _pattern("broad", r"(?i)connection", "network", 0.6),
            _pattern("narrow", r"(?i)connection refused", "database", 0.9),
            _pattern("other", r"(?i)disk full", "disk", 0.99),
        ]
    )
    best = matcher.best("psycopg2: connection refused")
    assert best is not None
    assert best.pattern is not None
    assert best.pattern.id == "narrow"
    assert [p.id for p in matcher.all("connection refused")] == ["broad", "narrow"]
    assert matcher.best("all good") is None


def test_catastrophic_backtracking_input_finishes() -> None:
    # (a+)+$ against a long run of a's followed by b takes exponential time with backtracking
    # engines; RE2 matches in linear time. The test's timeout is the bound.
    patterns = PatternSet([r"(a+)+$", r"(x+x+)+y"])
    assert patterns.matches("a" * 100_000 + "b") == [0]
    assert patterns.matches("x" * 100_000) == []
    hostile = ("(" * 10_000 + "connection " * 2_000)[:32_000]
    assert isinstance(_analyzer().categorise(_error(hostile[:1000], message=hostile)).category, str)


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("TypeError: unsupported operand type(s) for +: 'int' and 'str'", "code"),
        ('java.lang.NullPointerException: Cannot invoke "String.length()"', "code"),
        ("TypeError: Cannot read properties of undefined (reading 'id')", "code"),
        ("panic: runtime error: invalid memory address or nil pointer dereference", "code"),
        ("java.lang.OutOfMemoryError: Java heap space", "memory"),
        ("requests.exceptions.ReadTimeout: HTTPSConnectionPool read timed out", "timeout"),
        ("Error: connect ECONNREFUSED 127.0.0.1:6379", "network"),
        ("write /var/lib/docker/x: no space left on device", "disk"),
        ("botocore.exceptions.ClientError: ThrottlingException: Rate exceeded", "rate_limit"),
        (
            "django.core.exceptions.ImproperlyConfigured: SECRET_KEY must not be empty",
            "configuration",
        ),
        ("jwt.exceptions.ExpiredSignatureError: Signature has expired", "auth"),
        ("the flux capacitor hummed oddly", "unknown"),
    ],
)
def test_fallback_guesses_a_category_at_lower_confidence(text: str, category: str) -> None:
    guess = Fallback().guess(text)
    assert guess.category == category
    assert guess.confidence <= 0.5


def test_unmatched_messages_still_get_a_category() -> None:
    result = (
        _analyzer()
        .analyze(_error("ZeroDivisionError: division by zero in report 17"), now=T0)
        .classified
    )
    assert result.category == "code"
    assert result.matched_pattern is None
    assert result.confidence < 0.6


def test_templates_group_one_shape_and_ids_agree_across_instances() -> None:
    a, b = TemplateMiner(), TemplateMiner()
    first = a.add("Connection to db-7 refused after 31 ms")
    second = a.add("Connection to db-9 refused after 12 ms")
    other = a.add("Connection to db-9 reset by peer")
    assert first.template == second.template
    assert first.pattern_id == second.pattern_id != other.pattern_id
    assert b.add("Connection to db-2 refused after 3 ms").pattern_id == first.pattern_id
    assert first.pattern_id == new_pattern_id(first.template)  # born with its first template


def test_templates_survive_a_snapshot_and_stay_bounded() -> None:
    miner = TemplateMiner(max_clusters=10)
    miner.add("No handler for OrdersController found")
    learned = miner.add("No handler for BillingController found")
    assert miner.dirty
    restored = TemplateMiner(max_clusters=10, state=miner.snapshot())
    assert not miner.dirty
    assert restored.add("No handler for UsersController found").template == learned.template
    for i in range(50):
        restored.add(f"distinct shape number {'x' * i} here")
    assert restored.cluster_count <= 10


def test_counts_over_minute_hour_and_day() -> None:
    settings = TrendSettings()
    state = None
    seen = []
    for seconds in (0, 10, 3600 - 30, 3600 + 30, 3 * 3600):
        state, counts, _ = record(state, now=T0 + seconds, occurrences=1, settings=settings)
        seen.append((counts.last_minute, counts.last_hour, counts.last_day))
    assert seen == [(1, 1, 1), (2, 2, 2), (1, 3, 3), (1, 2, 4), (1, 1, 5)]
    assert state is not None
    assert counts_at(state, T0 + 2 * 86400).last_day == 0
    assert FingerprintState.from_json(state.to_json()) == state


def _series(per_minute: list[int]) -> list[Trend]:
    settings, state = TrendSettings(), None
    trends: list[Trend] = []
    for minute, count in enumerate(per_minute):
        for k in range(count):  # spread evenly over the minute
            state, _, trend = record(
                state, now=T0 + minute * 60 + k * 60 / count, occurrences=1, settings=settings
            )
            trends.append(trend)
    return trends


def test_first_occurrence_is_new_and_a_steady_rate_is_stable() -> None:
    trends = _series([3] * 40)
    assert trends[0] == "new"
    assert trends[-1] == "stable"


def test_spike_is_far_above_its_own_baseline() -> None:
    assert _series([2] * 30 + [40])[-1] == "spike"
    # A busy fingerprint at its usual rate is not a spike.
    assert _series([40] * 30 + [42])[-1] != "spike"


def test_rising_and_falling() -> None:
    assert _series([1] * 30 + [4] * 8)[-1] == "rising"
    assert _series([6] * 40 + [0] * 9 + [1])[-1] == "falling"


def test_long_silence_decays_the_baseline_without_looping_per_minute() -> None:
    settings = TrendSettings()
    state, _, _ = record(None, now=T0, occurrences=5, settings=settings)
    state, counts, _ = record(state, now=T0 + 30 * 86400, occurrences=1, settings=settings)
    assert state.baseline_mean < 0.01
    assert counts.last_day == 1
    assert len(state.minutes) == 1


def test_regression_after_resolution_raises_severity() -> None:
    analyzer = _analyzer()
    error = _error("Nightly export crashed with exit code 3", severity="medium")
    analyzer.analyze(error, now=T0)
    analyzer.analyze(error.model_copy(update={"status": "resolved"}), now=T0 + 60)
    again = analyzer.analyze(error, now=T0 + 3600).classified
    assert again.regression is True
    assert again.severity in (Severity.HIGH, Severity.CRITICAL)


def test_sentry_counts_are_cumulative() -> None:
    analyzer = _analyzer()
    error = _error("KeyError: 'sku'", origin="sentry_api", count=40)
    assert analyzer.analyze(error, now=T0).classified.frequency.last_hour == 1
    grown = error.model_copy(update={"count": 46})
    assert analyzer.analyze(grown, now=T0 + 60).classified.frequency.last_hour == 7


def test_impact_score_weighs_environment_users_frequency_and_criticality() -> None:
    settings = load_settings(REPO / "config")
    model = ImpactModel(settings.analyzer, settings.business_impact)
    worst = _error("x", environment="production", user_count=20_000, service="checkout-api")
    mild = _error("x", environment="development", user_count=0, service="sandbox")
    assert model.score(worst, Severity.CRITICAL, last_hour=5000) == 100
    assert model.score(mild, Severity.INFO, last_hour=1) < 15
    staging = model.score(_error("x", environment="staging"), Severity.HIGH, last_hour=10)
    production = model.score(_error("x", environment="production"), Severity.HIGH, last_hour=10)
    assert staging < production


def test_impact_weights_are_configurable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALERTORCH_ANALYZER__IMPACT_WEIGHTS__ENVIRONMENT", "0")
    monkeypatch.setenv("ALERTORCH_ANALYZER__IMPACT_WEIGHTS__USERS", "0")
    monkeypatch.setenv("ALERTORCH_ANALYZER__IMPACT_WEIGHTS__FREQUENCY", "0")
    monkeypatch.setenv("ALERTORCH_ANALYZER__IMPACT_WEIGHTS__CRITICALITY", "0")
    settings = load_settings(REPO / "config")
    model = ImpactModel(settings.analyzer, settings.business_impact)
    assert model.score(_error("x", environment="development"), Severity.CRITICAL, 0) == 100


def test_critical_tags_count_as_critical(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALERTORCH_BUSINESS_IMPACT__CRITICAL_TAGS", '{"tier": "gold"}')
    settings = load_settings(REPO / "config")
    model = ImpactModel(settings.analyzer, settings.business_impact)
    gold = model.score(_error("x", tags={"tier": "gold"}), Severity.LOW, 0)
    plain = model.score(_error("x", tags={"tier": "free"}), Severity.LOW, 0)
    assert gold > plain


def test_final_severity_is_raised_never_lowered() -> None:
    assert final_severity(Severity.LOW, impact=10, trend="stable", regression=False) == "low"
    assert final_severity(Severity.LOW, impact=10, trend="spike", regression=False) == "medium"
    assert final_severity(Severity.MEDIUM, impact=70, trend="stable", regression=False) == "high"
    assert final_severity(Severity.HIGH, impact=90, trend="stable", regression=False) == "critical"
    assert final_severity(Severity.CRITICAL, impact=0, trend="falling", regression=False) == (
        "critical"
    )


def test_state_is_bounded_and_expires() -> None:
    settings = load_settings(REPO / "config")
    analyzer = Analyzer(settings=settings, patterns=[])
    analyzer.max_states = 3
    for i in range(5):
        analyzer.analyze(_error(f"distinct failure kind {'q' * i}"), now=T0 + i)
    assert len(analyzer.states()) == 3
    gone = analyzer.expire(T0 + analyzer.ttl_seconds + 3.5)
    assert len(gone) == 2
