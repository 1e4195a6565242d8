"""The library's analyzer given a store (``ErrorAnalyzer(store_url=...)``), on both backends:
pattern ids and counts survive a restart, two analyzers sharing the store agree, and related
problems are one incident, as in the service."""

from __future__ import annotations

import itertools
from pathlib import Path

from services.analyzer import ErrorAnalyzer

CONFIG = Path(__file__).resolve().parents[2] / "config"
T0 = 2_000_000_000.0


def _analyzer(url: str, clock: itertools.count[float]) -> ErrorAnalyzer:
    return ErrorAnalyzer(
        CONFIG / "error_patterns.json", store_url=url, clock=lambda: float(next(clock))
    )


def _error(user: str, service: str = "checkout") -> dict[str, str]:
    return {
        "message": f"Login failed for {user.capitalize()}Account: password expired",
        "service": service,
        "environment": "production",
        "level": "error",
    }


async def test_a_stored_analyzer_keeps_ids_counts_and_incidents_across_restarts(
    storage_url: str,
) -> None:
    clock = itertools.count(T0, 5.0)
    with _analyzer(storage_url, clock) as first:
        alice = first.analyze_error(_error("alice"))
        bob = first.analyze_error(_error("bob"))  # the template generalises: the id stays
        assert bob.pattern_id == alice.pattern_id
        assert alice.incident is not None
    with _analyzer(storage_url, clock) as again, _analyzer(storage_url, clock) as other:
        carol = again.analyze_error(_error("carol"))
        assert carol.pattern_id == alice.pattern_id  # after a restart
        bob_again = other.analyze_error(_error("bob"))  # another process on the same store
        assert bob_again.fingerprint == bob.fingerprint
        assert bob_again.last_day == 2
        assert bob_again.pattern_id == alice.pattern_id
        # related problems of one service are one incident; another service's its own
        assert {alice.incident, carol.incident, bob_again.incident} == {alice.incident}
        search = other.analyze_error(_error("dave", service="search"))
        assert search.incident not in (None, alice.incident)
        trends = again.analyze_trends()
        assert trends[bob.fingerprint].total == 2
        assert len(trends) == 4


def test_without_a_store_the_state_lives_in_memory(tmp_path: Path) -> None:
    clock = itertools.count(T0, 5.0)
    analyzer = ErrorAnalyzer(CONFIG / "error_patterns.json", clock=lambda: float(next(clock)))
    first = analyzer.analyze_error(_error("alice"))
    assert first.incident is None
    assert not list(tmp_path.iterdir())
    analyzer.close()  # nothing to close: harmless
