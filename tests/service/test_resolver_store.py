"""The resolver's steps on its real store, on both backends: two replicas claim each queued fix
once; a claim whose replica died is failed, never re-run; a decision whose publish failed is
published, unchanged, on redelivery; a claim whose publish failed changes nothing."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import AsyncIterator, Sequence

import pytest

from services.resolver import decisions, timers
from services.resolver.catalog import load_catalog
from services.resolver.commands import handle_commands
from services.resolver.engine import EngineSettings, ResolverEngine
from services.resolver.execution import Executor
from services.resolver.strategy import ErrorContext, ResolutionStrategy, StrategyResult
from services.resolver.tables import SCHEMA
from shared.clock import ManualClock
from shared.config import load_settings
from shared.events import AuditRecord, ClassifiedError, Resolution, new_event_id
from shared.kafka.producer import Output
from shared.metrics import REGISTRY
from shared.storage import Database
from shared.topics import ERRORS_CLASSIFIED, topic
from tests.commands import command
from tests.resolver_helpers import classified_body
from tests.storage import migrated


class Held(ResolutionStrategy):
    """A fix that counts its runs and finishes when the test lets it."""

    def __init__(self) -> None:
        super().__init__(name="held", description="held", confidence=0.9, safety_level="safe")
        self.runs: list[str] = []
        self.release = asyncio.Event()

    async def execute(self, error_context: ErrorContext) -> StrategyResult:
        self.runs.append(error_context.attempt_id)
        await self.release.wait()
        return StrategyResult(success=True, message="done")


class Events:
    """Published events; ``failing`` publishes raise, as a broker that is down does."""

    def __init__(self) -> None:
        self.published: list[Output] = []
        self.failing = False

    async def publish_many(self, outputs: Sequence[Output]) -> None:
        if self.failing:
            raise ConnectionError("broker unavailable")
        self.published.extend(outputs)

    def statuses(self, attempt_id: str) -> list[str]:
        return [
            o.event.data.status
            for o in self.published
            if isinstance(o.event, Resolution) and o.event.data.attempt_id == attempt_id
        ]


@pytest.fixture
async def database(storage_url: str) -> AsyncIterator[Database]:
    async with migrated(storage_url, SCHEMA) as db:
        yield db


def _engine(
    database: Database, strategy: Held, events: Events, clock: ManualClock, replica: str
) -> ResolverEngine:
    settings = load_settings()
    catalog = load_catalog({"hold": {"executor": "held", "max_per_hour": 100, "verify_minutes": 1}})
    config = EngineSettings.of(settings, catalog)
    return ResolverEngine(
        config=config,
        database=database,
        strategies={"held": strategy},
        publisher=events,
        clock=clock,
        replica=replica,
    )


def _classified(fingerprint: str) -> ClassifiedError:
    body = classified_body()
    body["id"] = body["correlationid"] = new_event_id()
    body["subject"] = body["data"]["fingerprint"] = fingerprint
    body["data"]["error"]["fingerprint"] = fingerprint
    body["data"]["resolution_strategy"] = "hold"
    event = topic(ERRORS_CLASSIFIED).decode(json.dumps(body).encode())
    assert isinstance(event, ClassifiedError)
    return event


async def test_two_replicas_claim_each_fix_once(database: Database) -> None:
    strategy, events, clock = Held(), Events(), ManualClock()
    other = Database(database.engine.url.render_as_string(hide_password=False), schemas=[])
    a = _engine(database, strategy, events, clock, "a")
    b = _engine(other, strategy, events, clock, "b")
    cap = a.config.policy.max_concurrent
    before = _counted("executing")
    await decisions.decide_batch(a, [_classified(f"fp-{n}") for n in range(cap + 2)])
    first, second = Executor(a), Executor(b)
    await asyncio.gather(first.step(), second.step())
    await asyncio.sleep(0.05)
    assert sorted(strategy.runs) == sorted({*first.running, *second.running})
    assert len(strategy.runs) == len(set(strategy.runs)) == cap  # the rest hit the cap
    strategy.release.set()
    await asyncio.gather(*first.running.values(), *second.running.values())
    for attempt_id in strategy.runs:
        assert events.statuses(attempt_id) == ["auto_resolving", "executing", "verifying"]
    assert _counted("executing") - before == cap  # alertorch_resolver_resolutions_total
    await other.close()


def _counted(status: str) -> float:
    labels = {"status": status, "strategy": "hold"}
    return REGISTRY.get_sample_value("alertorch_resolver_resolutions_total", labels) or 0.0


async def test_a_lapsed_claim_fails_the_fix_and_never_runs_it_again(database: Database) -> None:
    strategy, events, clock = Held(), Events(), ManualClock()
    dead = _engine(database, strategy, events, clock, "dead")
    alive = _engine(database, strategy, events, clock, "alive")
    await decisions.decide_batch(dead, [_classified("fp-lapsed")])
    gone = Executor(dead)
    await gone.step()
    await asyncio.sleep(0.05)
    [attempt_id] = strategy.runs
    for task in gone.running.values():  # the replica dies: its claim is never renewed
        task.cancel()
    clock.advance(dead.config.lease_seconds + 1)
    await timers.tick(alive)
    await Executor(alive).drain()
    assert strategy.runs == [attempt_id]
    assert events.statuses(attempt_id)[-1] == "failed"


async def test_a_failed_publish_leaves_the_fix_queued_until_it_can_be_told(
    database: Database,
) -> None:
    strategy, events, clock = Held(), Events(), ManualClock()
    engine = _engine(database, strategy, events, clock, "a")
    strategy.release.set()
    event = _classified("fp-publish")
    events.failing = True
    with pytest.raises(ConnectionError):
        await decisions.decide_batch(engine, [event])  # decided and stored; not yet published
    events.failing = False
    await decisions.decide_batch(engine, [event])  # the redelivery publishes that decision
    [decided] = [o.event.data.attempt_id for o in events.published]
    assert decided is not None
    events.failing = True
    executor = Executor(engine)
    with pytest.raises(ConnectionError):
        await executor.step()  # "executing" cannot be published: nothing is claimed or run
    assert strategy.runs == []
    events.failing = False
    await executor.drain()
    assert strategy.runs == [decided]
    assert events.statuses(decided) == ["auto_resolving", "executing", "verifying"]
    ids = {o.event.id for o in events.published}
    await decisions.decide_batch(engine, [event])  # a later redelivery: the same decision again
    assert {o.event.id for o in events.published} == ids
    assert strategy.runs == [decided]


async def test_a_published_decision_is_marked_by_the_next_batch(database: Database) -> None:
    strategy, events, clock = Held(), Events(), ManualClock()
    engine = _engine(database, strategy, events, clock, "a")
    first, second = _classified("fp-first"), _classified("fp-second")
    await decisions.decide_batch(engine, [first])
    decided = [o.event.id for o in events.published]
    assert decided
    assert engine.unmarked == [first.id]
    # The process stops before another batch marks it: redelivered to a new process, the
    # same events are published again.
    told_again = Events()
    await decisions.decide_batch(_engine(database, strategy, told_again, clock, "a"), [first])
    assert [o.event.id for o in told_again.published] == decided
    # The next batch marks it published: redelivered after that, nothing is published.
    await decisions.decide_batch(engine, [second])
    assert engine.unmarked == [second.id]
    untold = Events()
    again = _engine(database, strategy, untold, clock, "a")
    await decisions.decide_batch(again, [first])
    assert untold.published == []
    # What the last batch published is marked when the resolver stops.
    await decisions.mark_published(engine)
    assert engine.unmarked == []
    await decisions.decide_batch(again, [second])
    assert untold.published == []


async def test_a_batch_of_commands_is_carried_out_in_order(database: Database) -> None:
    strategy, events, clock = Held(), Events(), ManualClock()
    engine = _engine(database, strategy, events, clock, "a")
    gated = engine.config.catalog["hold"].model_copy(update={"safety_level": "dangerous"})
    engine.config = dataclasses.replace(
        engine.config, catalog={"hold": gated}, operators=frozenset({"U-op"})
    )
    await decisions.decide_batch(engine, [_classified("fp-commands")])
    [attempt_id] = {o.event.data.attempt_id for o in events.published}
    assert attempt_id is not None
    assert events.statuses(attempt_id) == ["awaiting_approval"]
    batch = [
        command("fp-commands", "approve", "U-stranger", attempt_id),
        command("fp-commands", "approve", "U-op", attempt_id),
        command("fp-commands", "reject", "U-op", attempt_id),  # finds it approved: too late
    ]
    await handle_commands(engine, batch)
    assert events.statuses(attempt_id) == ["awaiting_approval", "approved"]
    refused = [
        o.event.data.actor.id
        for o in events.published
        if isinstance(o.event, AuditRecord) and o.event.data.outcome == "refused"
    ]
    assert refused == ["U-stranger"]
    await handle_commands(engine, batch)  # redelivered: nothing new but the refusal's record
    assert events.statuses(attempt_id) == ["awaiting_approval", "approved"]
