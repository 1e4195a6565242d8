"""Did the fix work? The error rate during the verification window against the rate before."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Verdict:
    worked: bool
    reason: str


def verdict(
    *,
    rate_before: float,
    seen: int,
    window_minutes: float,
    drop_ratio: float,
    strategy_says: bool | None,
) -> Verdict:
    """The strategy's own check decides when it has one; otherwise the error rate does:
    ``rate_before`` and the window's rate are occurrences per minute."""
    if strategy_says is False:
        return Verdict(False, "the strategy's own check failed")
    if strategy_says is True:
        return Verdict(True, "the strategy's own check passed")
    rate_after = seen / max(window_minutes, 1e-9)
    if seen == 0:
        return Verdict(True, f"no occurrence in {window_minutes:g} minutes")
    if rate_after < rate_before * drop_ratio:
        return Verdict(True, f"rate fell from {rate_before:.2f} to {rate_after:.2f} per minute")
    return Verdict(
        False,
        f"rate {rate_after:.2f} per minute did not fall below "
        f"{drop_ratio:.0%} of {rate_before:.2f}",
    )
