"""The resolver as a process on the real broker: classified errors and commands in, the
expected resolutions and audit records out; strategies call a local runbook server."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from shared.events import (
    AuditRecord,
    ClassifiedError,
    Command,
    Resolution,
    new_event_id,
)
from shared.topics import AUDIT, COMMANDS, ERRORS_CLASSIFIED, RESOLUTIONS, topic
from tests.commands import command
from tests.fakes.kubernetes import FakeKubernetes
from tests.fakes.server import served, serving
from tests.kafka_helpers import produce, read_until
from tests.procs import ServiceProcess, running_service
from tests.resolver_helpers import classified_body

pytestmark = pytest.mark.broker


class Runbook:
    """A runbook endpoint that counts calls; ``/slow`` answers after a few seconds."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.bodies: list[Any] = []
        self.lock = threading.Lock()

    def app(self) -> Starlette:
        async def handle(request: Request) -> JSONResponse:
            with self.lock:
                self.calls[request.url.path] += 1
                body = await request.body()
                self.bodies.append(json.loads(body) if body else None)
            if request.url.path == "/slow":
                await asyncio.sleep(4)
            if request.url.path == "/slower":
                await asyncio.sleep(60)
            return JSONResponse({"ok": True}, status_code=202)

        return Starlette(routes=[Route("/{path:path}", handle, methods=["POST"])])


@pytest.fixture
def runbook() -> Iterator[tuple[Runbook, str]]:
    with served(Runbook()) as fake_and_url:
        yield fake_and_url


#: Strategy names carry a per-test tag: each test's resolver also reads the classified events
#: earlier tests left on the shared topic, and those must not bind to this test's strategies.
TAG = {"value": ""}


@pytest.fixture(autouse=True)
def fresh_tag() -> None:
    TAG["value"] = os.urandom(3).hex()


def S(name: str) -> str:
    return f"{name}_{TAG['value']}"


def _env(url: str, **extra: str) -> dict[str, str]:
    def http(path: str, level: str, **more: Any) -> dict[str, Any]:
        return {
            "executor": "http_action",
            "safety_level": level,
            "verify_minutes": 0.03,
            "target": {"url": url + path, "body": {"problem": "${fingerprint}"}},
            **more,
        }

    strategies = {
        S("flush_cache"): http("/flush", "safe", params={"rollback": {"url": url + "/unflush"}}),
        S("restart_api"): http("/restart", "risky"),
        S("slow_fix"): http("/slow", "safe"),
        S("slowest_fix"): http("/slower", "safe"),
    }
    return {
        "ALERTORCH_AUTO_RESOLUTION__STRATEGIES": json.dumps(strategies),
        "ALERTORCH_AUTO_RESOLUTION__OPERATORS": '["U-alice"]',
        "ALERTORCH_AUTO_RESOLUTION__TICK_SECONDS": "0.2",
        "ALERTORCH_OPERATION__AUTO_APPROVE_UP_TO": "safe",
        # Every test's resolver also reads the events earlier tests left on the shared topic:
        # caps high enough that those cannot crowd out this test's own attempts.
        "ALERTORCH_OPERATION__MAX_CONCURRENT_RESOLUTIONS": "100",
        "ALERTORCH_AUTO_RESOLUTION__SAFETY_SETTINGS__MAX_ACTIONS_PER_HOUR": "1000",
        **extra,
    }


@contextmanager
def _resolver(bootstrap: str, url: str, **extra: str) -> Iterator[ServiceProcess]:
    """The resolver as a process, its strategies calling the runbook at ``url`` (:func:`_env`
    plus ``extra``)."""
    with running_service("resolver", bootstrap=bootstrap, env=_env(url, **extra)) as service:
        yield service


def _classified(
    strategy: str, *, fingerprint: str | None = None, status: str = "firing"
) -> ClassifiedError:
    body = classified_body()
    body["data"]["error"]["status"] = status
    fp = fingerprint or os.urandom(16).hex()
    body["id"] = new_event_id()
    body["correlationid"] = body["id"]
    body["subject"] = fp
    body["data"]["fingerprint"] = body["data"]["error"]["fingerprint"] = fp
    body["data"]["resolution_strategy"] = strategy
    event = topic(ERRORS_CLASSIFIED).decode(json.dumps(body).encode())
    assert isinstance(event, ClassifiedError)
    return event


async def _send(bootstrap: str, name: str, event: ClassifiedError | Command) -> None:
    await produce(bootstrap, name, [event.to_json_bytes()], key=event.subject.encode())


async def _statuses(
    bootstrap: str,
    fp: str,
    until: str,
    timeout: float = 30,
    done: Callable[[list[Resolution]], bool] | None = None,
) -> list[Resolution]:
    """The resolutions of ``fp`` up to the first in status ``until`` (that ``done`` accepts)."""

    def decoded(records: list[Any]) -> list[Resolution]:
        events = [topic(RESOLUTIONS).decode(r.value) for r in records]
        return [e for e in events if isinstance(e, Resolution)]

    def finished(records: list[Any]) -> bool:
        found = [r for r in decoded(records) if r.data.status == until]
        return bool(found) and (done is None or done(found))

    records = await read_until(
        bootstrap, RESOLUTIONS, finished, match=lambda r: r.key == fp.encode(), timeout=timeout
    )
    return decoded(records)


async def _decided(
    bootstrap: str, event: ClassifiedError, until: str, timeout: float = 30
) -> list[Resolution]:
    """Send ``event`` and return its resolutions up to the first in status ``until``."""
    await _send(bootstrap, ERRORS_CLASSIFIED, event)
    return await _statuses(bootstrap, event.subject, until, timeout=timeout)


async def _until_called(fake: Runbook, path: str) -> None:
    """Wait (up to 5 s) for the runbook's first call on ``path``."""
    for _ in range(100):
        if fake.calls[path]:
            return
        await asyncio.sleep(0.05)


async def _audits(bootstrap: str, fp: str, count: int) -> list[AuditRecord]:
    records = await read_until(
        bootstrap, AUDIT, lambda found: len(found) >= count, match=lambda r: r.key == fp.encode()
    )
    return [
        e for e in (topic(AUDIT).decode(r.value) for r in records) if isinstance(e, AuditRecord)
    ]


async def test_fix_verify_rollback_and_approvals(
    kafka_bootstrap: str, runbook: tuple[Runbook, str]
) -> None:
    fake, url = runbook
    with _resolver(kafka_bootstrap, url):
        # A safe strategy runs by itself, is verified and succeeds.
        ok = _classified(S("flush_cache"))
        done = await _decided(kafka_bootstrap, ok, "succeeded")
        assert [r.data.status for r in done] == [
            "auto_resolving",
            "executing",
            "verifying",
            "succeeded",
        ]
        assert done[0].correlationid == ok.correlationid
        assert {"problem": ok.subject} in fake.bodies
        audits = await _audits(kafka_bootstrap, ok.subject, 1)
        assert (audits[0].data.action, audits[0].data.outcome) == (S("flush_cache"), "succeeded")
        # An operator rolls it back within the rollback window.
        await _send(
            kafka_bootstrap,
            COMMANDS,
            command(ok.subject, "rollback", "U-alice", done[0].data.attempt_id),
        )
        rolled = await _statuses(kafka_bootstrap, ok.subject, "rolled_back")
        assert rolled[-1].data.actor is not None
        assert rolled[-1].data.actor.id == "U-alice"
        assert fake.calls["/unflush"] == 1

        # The error keeps coming during verification: failed, rolled back automatically.
        bad = _classified(S("flush_cache"))
        await _decided(kafka_bootstrap, bad, "verifying")
        for _ in range(3):
            await _send(
                kafka_bootstrap,
                ERRORS_CLASSIFIED,
                _classified(S("flush_cache"), fingerprint=bad.subject),
            )
        undone = await _statuses(kafka_bootstrap, bad.subject, "rolled_back")
        statuses = [r.data.status for r in undone]
        assert "suppressed" in statuses  # a second attempt while one runs is suppressed
        assert statuses.index("failed") < statuses.index("rolled_back")
        assert fake.calls["/unflush"] == 2

        # A risky strategy waits for an operator; others are refused.
        risky = _classified(S("restart_api"))
        waiting = (await _decided(kafka_bootstrap, risky, "awaiting_approval"))[-1]
        attempt_id = waiting.data.attempt_id
        await _send(
            kafka_bootstrap, COMMANDS, command(risky.subject, "approve", "U-mallory", attempt_id)
        )
        refused = await _audits(kafka_bootstrap, risky.subject, 1)
        assert (refused[0].data.outcome, refused[0].data.actor.id) == ("refused", "U-mallory")
        assert fake.calls["/restart"] == 0
        await _send(
            kafka_bootstrap, COMMANDS, command(risky.subject, "approve", "U-alice", attempt_id)
        )
        approved = await _statuses(kafka_bootstrap, risky.subject, "succeeded")
        assert [r.data.status for r in approved] == [
            "awaiting_approval",
            "approved",
            "executing",
            "verifying",
            "succeeded",
        ]
        assert approved[1].data.actor is not None
        assert approved[1].data.actor.id == "U-alice"
        assert fake.calls["/restart"] == 1

        # An unbound strategy is no_strategy, never a crash.
        unbound = _classified("restart_database_service")
        assert (await _decided(kafka_bootstrap, unbound, "no_strategy"))[0].data.reason


async def test_approval_expires_and_rejection(
    kafka_bootstrap: str, runbook: tuple[Runbook, str]
) -> None:
    fake, url = runbook
    with _resolver(kafka_bootstrap, url, ALERTORCH_OPERATION__APPROVAL_TIMEOUT_MINUTES="0.02"):
        await _decided(kafka_bootstrap, _classified(S("restart_api")), "expired")
        no = _classified(S("restart_api"))
        waiting = (await _decided(kafka_bootstrap, no, "awaiting_approval"))[-1]
        await _send(
            kafka_bootstrap,
            COMMANDS,
            command(no.subject, "reject", "U-alice", waiting.data.attempt_id),
        )
        await _statuses(kafka_bootstrap, no.subject, "rejected")
        assert fake.calls["/restart"] == 0
        # An operator asks for a retry: the rejected fix runs after all.
        await _send(kafka_bootstrap, COMMANDS, command(no.subject, "retry", "U-alice", None))
        retried = await _statuses(kafka_bootstrap, no.subject, "succeeded")
    statuses = [r.data.status for r in retried]
    assert statuses[-4:] == ["approved", "executing", "verifying", "succeeded"]
    assert fake.calls["/restart"] == 1


async def _decided_without_a_call(
    bootstrap: str, runbook: tuple[Runbook, str], event: ClassifiedError, until: str, **env: str
) -> list[Resolution]:
    """A resolver (:func:`_env` plus ``env``) on ``event``: its resolutions up to the first in
    status ``until``, once the resolver has stopped without calling the runbook."""
    fake, url = runbook
    with _resolver(bootstrap, url, **env):
        decided = await _decided(bootstrap, event, until)
    assert sum(fake.calls.values()) == 0
    return decided


async def test_dry_run_decides_and_changes_nothing(
    kafka_bootstrap: str, runbook: tuple[Runbook, str]
) -> None:
    dry = {"ALERTORCH_OPERATION__DRY_RUN": "true"}
    event = _classified(S("flush_cache"))
    decided = await _decided_without_a_call(kafka_bootstrap, runbook, event, "skipped", **dry)
    skipped = decided[0]
    assert skipped.data.gate == "dry_run"
    assert skipped.data.dry_run is True
    assert skipped.data.details == {"would": "auto_resolving"}


async def test_a_resolved_signal_from_the_source_runs_nothing(
    kafka_bootstrap: str, runbook: tuple[Runbook, str]
) -> None:
    resolved = _classified(S("flush_cache"), status="resolved")
    [decision] = await _decided_without_a_call(
        kafka_bootstrap, runbook, resolved, "resolved_by_source"
    )
    assert decision.data.strategy is None
    assert decision.data.reason == "resolved by source (sentry_api)"


async def test_with_auto_resolution_switched_off_nothing_runs(
    kafka_bootstrap: str, runbook: tuple[Runbook, str]
) -> None:
    [decision] = await _decided_without_a_call(
        kafka_bootstrap,
        runbook,
        _classified(S("flush_cache")),
        "suppressed",
        ALERTORCH_COMPONENTS__AUTO_RESOLUTION_ENABLED="false",
    )
    assert "components.auto_resolution_enabled" in decision.data.reason


async def test_a_crash_while_executing_never_executes_twice(
    kafka_bootstrap: str, runbook: tuple[Runbook, str]
) -> None:
    fake, url = runbook
    # A claim on running work lapses after 2 s without renewal: the restarted replica finds it.
    lease = {"ALERTORCH_AUTO_RESOLUTION__EXECUTION_LEASE_SECONDS": "2"}
    event = _classified(S("slow_fix"))
    with _resolver(kafka_bootstrap, url, **lease) as service:
        await _decided(kafka_bootstrap, event, "executing")
        await _until_called(fake, "/slow")
        service.stop(signal.SIGKILL)  # between execute and commit
    with _resolver(kafka_bootstrap, url, **lease):
        final = await _statuses(kafka_bootstrap, event.subject, "failed")
        await asyncio.sleep(1.0)  # the redelivered message has been seen by now
    assert "interrupted" in final[-1].data.reason
    assert fake.calls["/slow"] == 1


async def test_a_slow_fix_never_holds_up_the_decisions_on_other_errors(
    kafka_bootstrap: str, runbook: tuple[Runbook, str]
) -> None:
    fake, url = runbook
    # The fix takes 60 s; the resolver's timeout is longer, so it is still running at the end.
    slow = _classified(S("slowest_fix"))
    quick = _classified(S("flush_cache"))
    with _resolver(kafka_bootstrap, url, ALERTORCH_OPERATION__RESOLUTION_TIMEOUT="120"):
        await _decided(kafka_bootstrap, slow, "executing")
        await _until_called(fake, "/slower")
        done = await _decided(kafka_bootstrap, quick, "succeeded", timeout=20)
        assert [r.data.status for r in done][-1] == "succeeded"
        still = await _statuses(kafka_bootstrap, slow.subject, "executing")
        assert [r.data.status for r in still][-1] == "executing"  # the slow fix still runs


async def test_a_failed_fix_falls_back_to_the_next_strategy_until_the_list_runs_out(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    kube = FakeKubernetes()
    kube.add_deployment("prod", "web", replicas=2)
    kube.add_deployment("prod", "api", replicas=2)
    missing = {"namespace": "prod", "deployment": "missing"}
    with serving(kube.app()) as url:
        catalog = {
            # restart a deployment that is not there (fails), then: a forbidden one (skipped by
            # its gate), scaling web (verification fails, rolled back), restarting another
            # missing one (fails): the list is exhausted.
            S("restart"): {
                "executor": "restart_service",
                "target": missing,
                "fallback": [S("forbidden"), S("scale_web"), S("restart_again")],
            },
            S("forbidden"): {"executor": "restart_service", "target": missing},
            S("scale_web"): {
                "executor": "scale_up",
                "target": {"namespace": "prod", "deployment": "web"},
                "verify_minutes": 0.05,
            },
            S("restart_again"): {"executor": "restart_service", "target": missing},
            # a second list whose fallback works: scaling api succeeds
            S("restart_api"): {
                "executor": "restart_service",
                "target": missing,
                "fallback": [S("scale_api")],
            },
            S("scale_api"): {
                "executor": "scale_up",
                "target": {"namespace": "prod", "deployment": "api"},
                "verify_minutes": 0.02,
            },
        }
        env = {
            **_env("http://127.0.0.1:9"),
            "ALERTORCH_AUTO_RESOLUTION__STRATEGIES": json.dumps(catalog),
            "ALERTORCH_AUTO_RESOLUTION__KUBECONFIG": str(kube.kubeconfig(tmp_path / "k", url)),
            "ALERTORCH_AUTO_RESOLUTION__SAFETY_SETTINGS__FORBIDDEN_ACTIONS": json.dumps(
                [S("forbidden")]
            ),
            "ALERTORCH_AUTO_RESOLUTION__SAFETY_SETTINGS__PRODUCTION_RESTRICTIONS__"
            "MAX_SERVICE_RESTARTS": "100",
            "ALERTORCH_AUTO_RESOLUTION__SAFETY_SETTINGS__PRODUCTION_RESTRICTIONS__"
            "MAX_CONFIG_CHANGES": "100",
            "ALERTORCH_OPERATION__AUTO_APPROVE_UP_TO": "moderate",
        }
        with running_service("resolver", bootstrap=kafka_bootstrap, env=env):
            works = _classified(S("restart_api"))
            await _send(kafka_bootstrap, ERRORS_CLASSIFIED, works)
            event = _classified(S("restart"))
            await _decided(kafka_bootstrap, event, "verifying")
            # the error goes on while scaling web is watched: its verification fails
            for _ in range(3):
                again = _classified(S("restart"), fingerprint=event.subject)
                await _send(kafka_bootstrap, ERRORS_CLASSIFIED, again)
            chain = await _statuses(
                kafka_bootstrap,
                event.subject,
                "failed",
                timeout=60,
                done=lambda found: any(r.data.details.get("fallbacks_exhausted") for r in found),
            )
            fixed = await _statuses(kafka_bootstrap, works.subject, "succeeded")

    ran = [r for r in chain if r.data.status != "suppressed"]
    steps = _steps(ran)
    assert steps == [
        ("restart", "auto_resolving"),
        ("restart", "executing"),
        ("restart", "failed"),
        ("forbidden", "skipped"),
        ("scale_web", "auto_resolving"),
        ("scale_web", "executing"),
        ("scale_web", "verifying"),
        ("scale_web", "failed"),
        ("scale_web", "rolled_back"),
        ("restart_again", "auto_resolving"),
        ("restart_again", "executing"),
        ("restart_again", "failed"),
    ]
    by_step = dict(zip(steps, ran, strict=True))
    assert by_step[("restart", "failed")].data.details == {"fallback": S("scale_web")}
    assert by_step[("forbidden", "skipped")].data.gate == "forbidden"
    assert by_step[("scale_web", "rolled_back")].data.details == {"fallback": S("restart_again")}
    last = by_step[("restart_again", "failed")].data
    assert last.details == {
        "fallbacks_exhausted": True,
        "tried": [S("restart"), S("forbidden"), S("scale_web"), S("restart_again")],
    }
    assert "every strategy in the list was tried" in last.reason
    assert len({r.data.attempt_id for r in ran if r.data.attempt_id}) == 3  # one per strategy run
    # web was scaled up and back down; api was scaled up by the fallback and stays so
    assert kube.deployments[("prod", "web")]["spec"]["replicas"] == 2
    assert kube.deployments[("prod", "api")]["spec"]["replicas"] == 3
    assert _steps(fixed) == [
        ("restart_api", "auto_resolving"),
        ("restart_api", "executing"),
        ("restart_api", "failed"),
        ("scale_api", "auto_resolving"),
        ("scale_api", "executing"),
        ("scale_api", "verifying"),
        ("scale_api", "succeeded"),
    ]


def _steps(resolutions: list[Resolution]) -> list[tuple[str, str]]:
    """(strategy without this test's tag, status) of each resolution."""
    return [
        ((r.data.strategy or "").removesuffix("_" + TAG["value"]), r.data.status)
        for r in resolutions
    ]
