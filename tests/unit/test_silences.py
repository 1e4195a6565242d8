"""Silences: which errors a silence holds, when, and what a silence must say."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from shared.events import Actor, Facts, SilenceData, silencing

T0 = datetime(2026, 11, 29, 22, 0, tzinfo=UTC)
ALICE = Actor(kind="user", id="U0ALICE", via="console")


def silence(**changes: Any) -> SilenceData:
    body: dict[str, Any] = {
        "silence_id": "sil_1",
        "matchers": {"service": "checkout-db", "environment": "production"},
        "reason": "upgrade",
        "starts_at": T0,
        "ends_at": T0 + timedelta(hours=2),
        "created_by": ALICE,
        **changes,
    }
    return SilenceData.model_validate(body)


def facts(**changes: Any) -> Facts:
    body = {"fingerprint": "fp", "service": "checkout-db", "environment": "Production"}
    return Facts.model_validate({**body, **changes})


def test_every_matcher_set_must_equal_the_errors_value() -> None:
    s = silence()
    assert s.matches(facts(), T0)  # environment case-insensitively
    assert not s.matches(facts(service="checkout-api"), T0)
    assert not s.matches(facts(environment="staging"), T0)
    assert not s.matches(facts(environment=None), T0)
    by_pattern = silence(matchers={"pattern_id": "tpl_db", "category": "database"})
    assert by_pattern.matches(facts(pattern_id="tpl_db", category="database"), T0)
    assert not by_pattern.matches(facts(pattern_id="tpl_db", category="network"), T0)
    assert silence(matchers={"fingerprint": "fp"}).matches(facts(service=None), T0)


def test_a_silence_holds_from_its_start_to_its_end_while_active() -> None:
    s = silence()
    assert not s.matches(facts(), T0 - timedelta(seconds=1))
    assert s.matches(facts(), T0 + timedelta(hours=1, minutes=59))
    assert not s.matches(facts(), T0 + timedelta(hours=2))
    assert not silence(state="expired").matches(facts(), T0)
    assert silencing([silence(state="expired"), s], facts(), T0) == s
    assert silencing([s], facts(service="other"), T0) is None


def test_what_a_silence_must_say() -> None:
    with pytest.raises(ValidationError, match="at least one matcher"):
        silence(matchers={})
    with pytest.raises(ValidationError, match="ends_at must be after starts_at"):
        silence(ends_at=T0)
    with pytest.raises(ValidationError, match="until_resolved needs a fingerprint matcher"):
        silence(until_resolved=True)
    assert silence(matchers={"fingerprint": "fp"}, until_resolved=True).until_resolved
    assert silence().describe() == (
        "silenced (service=checkout-db, environment=production) until "
        "2026-11-30T00:00:00+00:00: upgrade"
    )


def test_a_time_without_its_zone_is_refused() -> None:
    """A naive time could not be compared with the clock: every decision would fail on it."""
    with pytest.raises(ValidationError, match="timezone"):
        silence(starts_at="2026-11-29T22:00:00", ends_at="2026-11-30T00:00:00")
