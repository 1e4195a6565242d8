"""The decision for one classified error, through every safety gate, as a pure function.

Order: no strategy -> suppressed (snoozed, an attempt already running, confidence below the
threshold of the strategy's safety level) -> skipped (forbidden, circuit open, rate limit,
concurrency cap) -> awaiting approval (above ``operation.auto_approve_up_to`` or on the approval
list) -> auto resolving. Dry run decides all of that and then skips with gate ``dry_run``, naming
what it would have done.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from services.resolver.catalog import KIND_OF_EXECUTOR, CatalogEntry
from services.resolver.limits import CircuitBreaker
from shared.config.resolver import AutoResolutionSection
from shared.events import SAFETY_ORDER, Gate, ResolutionStatus, SafetyLevel
from shared.ratelimit import SlidingWindow

HOUR = 3600.0


@dataclass(frozen=True)
class Policy:
    """What the gates read from configuration."""

    auto_resolution: AutoResolutionSection
    auto_approve_up_to: SafetyLevel
    max_concurrent: int
    dry_run: bool
    production_environments: frozenset[str] = frozenset({"production", "prod"})


@dataclass
class GateState:
    """What the gates read from the resolver's store, for one decision."""

    running: set[str] = field(default_factory=set)  # fingerprints with an attempt in progress
    snoozed_until: dict[str, float] = field(default_factory=dict)
    windows: dict[str, SlidingWindow] = field(
        default_factory=dict
    )  # "strategy|target", "global", kinds
    breakers: dict[str, CircuitBreaker] = field(default_factory=dict)  # "strategy|target"
    breaker_threshold: int = 3
    breaker_cooldown_seconds: float = 900.0

    def window(self, key: str) -> SlidingWindow:
        return self.windows.setdefault(key, SlidingWindow())

    def breaker(self, key: str) -> CircuitBreaker:
        if key not in self.breakers:
            self.breakers[key] = CircuitBreaker(
                threshold=self.breaker_threshold, cooldown_seconds=self.breaker_cooldown_seconds
            )
        return self.breakers[key]


@dataclass(frozen=True)
class Candidate:
    fingerprint: str
    strategy: str | None
    confidence: float
    environment: str | None


@dataclass(frozen=True)
class Decision:
    status: ResolutionStatus
    reason: str
    strategy: str | None = None
    safety_level: SafetyLevel | None = None
    gate: Gate | None = None
    details: Mapping[str, Any] = field(default_factory=dict)

    def event_fields(self) -> dict[str, Any]:
        """Its fields on the resolution event of a decision that starts no attempt."""
        return {
            "strategy": self.strategy,
            "safety_level": self.safety_level,
            "gate": self.gate,
            "details": dict(self.details),
        }


def limit_key(strategy: str, entry: CatalogEntry) -> str:
    return f"{strategy}|{entry.target_key()}"


def _threshold(policy: Policy, level: SafetyLevel) -> float:
    thresholds = policy.auto_resolution.confidence_thresholds
    if level == "safe":
        return thresholds.safe_actions
    if level == "moderate":
        return thresholds.medium_risk_actions
    return thresholds.high_risk_actions


def decide(
    candidate: Candidate,
    *,
    entry: CatalogEntry | None,
    safety_level: SafetyLevel | None,
    policy: Policy,
    state: GateState,
    now: float,
) -> Decision:
    name = candidate.strategy
    if not name:
        return Decision("no_strategy", "no pattern names a strategy for this error")
    if entry is None or safety_level is None:
        why = (
            "not bound in auto_resolution.strategies"
            if entry is None
            else (f"its executor {entry.executor!r} is unknown")
        )
        return Decision("no_strategy", f"strategy {name!r} is {why}", strategy=name)

    def make(
        status: ResolutionStatus,
        reason: str,
        gate: Gate | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> Decision:
        return Decision(
            status,
            reason,
            strategy=name,
            safety_level=safety_level,
            gate=gate,
            details=details or {},
        )

    until = state.snoozed_until.get(candidate.fingerprint)
    if until is not None and until > now:
        return make("suppressed", f"snoozed until {until:.0f}")
    if candidate.fingerprint in state.running:
        return make("suppressed", "an attempt for this problem is already running")
    threshold = _threshold(policy, safety_level)
    if candidate.confidence < threshold:
        return make(
            "suppressed",
            f"confidence {candidate.confidence:.2f} is below "
            f"{threshold:.2f} for {safety_level} strategies",
        )
    safety = policy.auto_resolution.safety_settings
    if name in safety.forbidden_actions or entry.executor in safety.forbidden_actions:
        return make("skipped", f"{name} is a forbidden action", gate="forbidden")
    key = limit_key(name, entry)
    breaker = state.breaker(key)
    if not breaker.allows(now):
        return make(
            "skipped",
            f"circuit open for {key} after {breaker.failures} failures",
            gate="circuit_open",
        )
    limited = _rate_limited(_windows(name, entry, candidate, policy), state, now)
    if limited:
        return make("skipped", limited, gate="rate_limit")
    if len(state.running) >= policy.max_concurrent:
        return make(
            "skipped",
            f"{len(state.running)} resolutions running (cap {policy.max_concurrent})",
            gate="concurrency_cap",
        )
    needs_approval = (
        SAFETY_ORDER.index(safety_level) > SAFETY_ORDER.index(policy.auto_approve_up_to)
        or name in safety.approval_required
        or entry.executor in safety.approval_required
    )
    decision = (
        make(
            "awaiting_approval",
            f"{safety_level} strategies need approval "
            f"(operation.auto_approve_up_to is {policy.auto_approve_up_to})",
        )
        if needs_approval
        else make("auto_resolving", f"running {name} ({safety_level})")
    )
    if policy.dry_run:
        return make(
            "skipped",
            f"dry run: would be {decision.status}",
            gate="dry_run",
            details={"would": decision.status},
        )
    return decision


@dataclass(frozen=True, slots=True)
class _Window:
    """A rate window an attempt counts against: its key in the gate state, its cap (none: the
    attempt is counted, never refused), its span and the reason given when it is full."""

    key: str
    cap: int | None
    seconds: float
    refusal: str


def _windows(name: str, entry: CatalogEntry, candidate: Candidate, policy: Policy) -> list[_Window]:
    """Every rate window an attempt of ``name`` for ``candidate`` counts against."""
    safety = policy.auto_resolution.safety_settings
    key = limit_key(name, entry)
    most = safety.max_actions_per_hour
    found = [
        _Window(key, entry.max_per_hour, HOUR, f"{key} reached {entry.max_per_hour} per hour"),
        _Window("global", most, HOUR, f"{most} automated actions per hour reached"),
    ]
    if (candidate.environment or "").lower() in policy.production_environments:
        kind = entry.kind or KIND_OF_EXECUTOR.get(entry.executor, "other")
        limits = safety.production_restrictions
        cap = {
            "service_restart": limits.max_service_restarts,
            "config_change": limits.max_config_changes,
            "dependency_update": limits.max_dependency_updates,
        }.get(kind)
        minutes = limits.cooldown_period_minutes
        refusal = f"production limit: {cap} {kind.replace('_', ' ')}s per {minutes} minutes"
        found.append(_Window(f"production|{kind}", cap, minutes * 60, refusal))
    return found


def _rate_limited(windows: list[_Window], state: GateState, now: float) -> str | None:
    """Why the first full window refuses the attempt; None when every one has room."""
    for window in windows:
        if (
            window.cap is not None
            and state.window(window.key).count(now, window.seconds) >= window.cap
        ):
            return window.refusal
    return None


def record_start(
    name: str,
    entry: CatalogEntry,
    candidate: Candidate,
    policy: Policy,
    state: GateState,
    now: float,
) -> None:
    """Count an attempt that starts now against every limit it is subject to."""
    for window in _windows(name, entry, candidate, policy):
        state.window(window.key).add(now)
    state.breaker(limit_key(name, entry)).started(now)
    state.running.add(candidate.fingerprint)
