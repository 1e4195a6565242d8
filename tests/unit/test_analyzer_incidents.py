"""Incidents: which new problems are correlated into one, and with which stable id."""

from __future__ import annotations

from datetime import UTC, datetime

from services.analyzer.incidents import Correlator, OpenIncident, incident_id, links_of
from shared.events import Incident, IncidentLink, RawErrorData

T0 = 1_800_000_000.0
WINDOW = 300.0


def _error(
    title: str,
    *,
    service: str | None = "checkout",
    environment: str | None = "production",
    release: str | None = None,
    tags: dict[str, str] | None = None,
) -> RawErrorData:
    return RawErrorData(
        fingerprint=f"fp-{title}",
        origin="custom",
        title=title,
        severity="high",
        service=service,
        environment=environment,
        release=release,
        tags=tags or {},
    )


def _place(correlator: Correlator, error: RawErrorData, start: float) -> Incident:
    return correlator.place(error.fingerprint, error, start=start)


def test_problems_of_one_service_and_environment_within_the_window_are_one_incident() -> None:
    correlator = Correlator([], window=WINDOW)
    first = _place(correlator, _error("DB timeout"), T0)
    second = _place(correlator, _error("Cart empty"), T0 + 120)
    third = _place(correlator, _error("Payment declined"), T0 + 400)  # 280 s after the second
    assert first.id == second.id == third.id == incident_id("fp-DB timeout", T0)
    assert first.started_at == datetime.fromtimestamp(T0, UTC)
    service = IncidentLink(kind="service", value="checkout", environment="production")
    assert first.links == second.links == [service]
    assert second.joined_by == [service]
    assert list(correlator.changed) == [first.id]
    assert correlator.changed[first.id].latest == T0 + 400


def test_different_services_sharing_nothing_are_never_merged() -> None:
    correlator = Correlator([], window=WINDOW)
    checkout = _place(correlator, _error("DB timeout", release="checkout@1"), T0)
    search = _place(correlator, _error("DB timeout 2", service="search", release="search@7"), T0)
    staging = _place(correlator, _error("DB timeout 3", environment="staging"), T0 + 1)
    anonymous = _place(correlator, _error("Disk full", service=None), T0 + 2)
    assert len({checkout.id, search.id, staging.id, anonymous.id}) == 4
    assert anonymous.links == []


def test_a_problem_naming_no_link_is_its_own_incident_neither_kept_open_nor_stored() -> None:
    """Nothing can join it, so it is not among the incidents later problems are compared with,
    nor among those to store: a flood of such problems costs nothing per problem."""
    correlator = Correlator([], window=WINDOW)
    lone = [_place(correlator, _error(f"Disk {n} full", service=None), T0 + n) for n in range(100)]
    assert [i.id for i in lone] == [incident_id(f"fp-Disk {n} full", T0 + n) for n in range(100)]
    assert all(i.links == i.joined_by == [] for i in lone)
    assert lone[0].joined_at == datetime.fromtimestamp(T0, UTC)
    assert (correlator.open, correlator.changed) == ([], {})
    linked = _place(correlator, _error("DB timeout"), T0 + 5)
    assert [o.incident.id for o in correlator.open] == list(correlator.changed) == [linked.id]


def test_one_release_across_services_is_one_incident() -> None:
    correlator = Correlator([], window=WINDOW)
    api = _place(correlator, _error("KeyError: total", service="api", release="2026.12.3"), T0)
    worker = _place(correlator, _error("KeyError: sum", service="worker", release="2026.12.3"), T0)
    assert worker.id == api.id
    assert worker.joined_by == [IncidentLink(kind="release", value="2026.12.3")]


def test_one_named_dependency_across_services_is_one_incident() -> None:
    correlator = Correlator([], window=WINDOW)
    tags = {"peer.service": "postgres-main"}
    api = _place(correlator, _error("Connection refused", service="api", tags=tags), T0)
    worker = _place(correlator, _error("Pool exhausted", service="worker", tags=tags), T0 + 10)
    assert worker.id == api.id
    assert worker.joined_by == [IncidentLink(kind="dependency", value="postgres-main")]
    assert [link.kind for link in links_of(_error("x", tags=tags))] == ["service", "dependency"]


def test_a_problem_starting_outside_the_window_opens_a_new_incident() -> None:
    correlator = Correlator([], window=WINDOW)
    first = _place(correlator, _error("DB timeout"), T0)
    late = _place(correlator, _error("Cart empty"), T0 + WINDOW + 1)
    assert late.id != first.id
    assert late.id == incident_id("fp-Cart empty", T0 + WINDOW + 1)


def test_links_of_an_incident_do_not_grow_so_incidents_never_chain() -> None:
    """B joins A by service; C shares only B's release, which A never had: C is its own."""
    correlator = Correlator([], window=WINDOW)
    a = _place(correlator, _error("A"), T0)
    b = _place(correlator, _error("B", release="r1"), T0 + 1)
    c = _place(correlator, _error("C", service="search", release="r1"), T0 + 2)
    assert b.id == a.id
    assert c.id != a.id


def test_an_incident_stored_before_is_joined_and_the_first_started_wins() -> None:
    older = Incident(
        id="inc-older",
        started_at=datetime.fromtimestamp(T0 - 100, UTC),
        links=[IncidentLink(kind="release", value="r9")],
    )
    newer = Incident(
        id="inc-newer",
        started_at=datetime.fromtimestamp(T0 - 50, UTC),
        links=[IncidentLink(kind="service", value="checkout", environment="production")],
    )
    correlator = Correlator(
        [OpenIncident(newer, T0 - 50), OpenIncident(older, T0 - 100)], window=WINDOW
    )
    joined = _place(correlator, _error("Timeout", release="r9"), T0)
    assert joined.id == "inc-older"
    assert list(correlator.changed) == ["inc-older"]


def test_each_problem_carries_how_many_problems_its_incident_held_and_when_it_joined() -> None:
    stored = Incident(
        id="inc-stored",
        started_at=datetime.fromtimestamp(T0 - 60, UTC),
        links=[IncidentLink(kind="service", value="checkout", environment="production")],
        problems=2,
    )
    correlator = Correlator([OpenIncident(stored, T0 - 30)], window=WINDOW)
    third = _place(correlator, _error("DB timeout"), T0)
    fourth = _place(correlator, _error("Cart empty"), T0 + 90)
    assert (third.problems, fourth.problems) == (3, 4)
    assert third.joined_at == datetime.fromtimestamp(T0, UTC)
    assert fourth.joined_at == datetime.fromtimestamp(T0 + 90, UTC)
    kept = correlator.changed["inc-stored"].incident  # as stored: the count, no joiner's marks
    assert (kept.problems, kept.joined_at, kept.joined_by) == (4, None, [])
    alone = _place(correlator, _error("Disk full", service="search"), T0 + 5)
    assert (alone.problems, alone.joined_at) == (1, datetime.fromtimestamp(T0 + 5, UTC))
