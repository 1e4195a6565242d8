"""Incidents: problems (fingerprints) of one cause, correlated when they start. No I/O.

A problem is placed once, at its first occurrence. It joins an open incident when it shares one
of the incident's links and starts within ``analyzer.incident_window_seconds`` of the
incident's latest problem (so a cascade that keeps spreading stays one incident); otherwise it
opens a new one. Links:

- ``service``: the same service in the same environment (no service reported: no link);
- ``release``: the same release;
- ``dependency``: the same named dependency, the ``peer.service`` tag (the remote service an
  error names, as tracing and monitoring agents tag it); nothing else in an error names one.

A problem that names none of these is an incident of its own, which no other problem can join:
it is not stored among the open incidents, so each new problem is compared only with incidents
it could join.

An incident's links are those of the problem that opened it and never change, so incidents do
not chain through one another; problems of different services that share nothing are never
merged. Of several open incidents a problem could join, it joins the one that started first.
The id is derived from the opening problem's fingerprint and start: the same batch correlated
again (a redelivery, another replica) gives the same id. Each problem carries how many problems
the incident held once it joined (itself included) and when it started: the escalation rules'
``related_errors_count`` and ``timespan_minutes``.
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from shared.events import Incident, IncidentLink, RawErrorData

#: The tag naming the remote service an error concerns (OpenTelemetry and Datadog convention).
DEPENDENCY_TAG = "peer.service"

Key = tuple[str, str, str | None]


def links_of(error: RawErrorData) -> list[IncidentLink]:
    """What a problem can share with others."""
    links = []
    if error.service:
        links.append(
            IncidentLink(kind="service", value=error.service, environment=error.environment)
        )
    if error.release:
        links.append(IncidentLink(kind="release", value=error.release))
    dependency = error.tags.get(DEPENDENCY_TAG)
    if dependency:
        links.append(IncidentLink(kind="dependency", value=dependency))
    return links


def _key(link: IncidentLink) -> Key:
    return (link.kind, link.value, link.environment)


def incident_id(fingerprint: str, started: float) -> str:
    digest = hashlib.sha256(f"{fingerprint}\n{started:.6f}".encode()).hexdigest()
    return f"inc-{digest[:20]}"


def _time(at: float) -> datetime:
    return datetime.fromtimestamp(at, UTC)


@dataclass(slots=True)
class OpenIncident:
    """An incident (with the problems placed in it so far) and the start of its latest
    problem."""

    incident: Incident
    latest: float

    @property
    def started(self) -> float:
        return self.incident.started_at.timestamp()


def _order(open_incident: OpenIncident) -> tuple[float, str]:
    """The order open incidents are offered in: the first started first."""
    return (open_incident.started, open_incident.incident.id)


class Correlator:
    """Places problems into the ``open`` incidents or new ones; :attr:`changed` holds every
    incident a placement opened or extended (to be stored), except those of a problem that
    names no link, which no other problem can join."""

    def __init__(self, open_incidents: Iterable[OpenIncident], *, window: float) -> None:
        self.window = window
        self.open = sorted(open_incidents, key=_order)
        self.changed: dict[str, OpenIncident] = {}

    def place(self, fingerprint: str, error: RawErrorData, *, start: float) -> Incident:
        """The incident of the problem ``fingerprint`` (``error`` being its first occurrence,
        at ``start``), carrying the links it joined by."""
        links = links_of(error)
        if not links:
            # Nothing to share: an incident of its own that no other problem can join, so it
            # is neither kept open nor stored (a flood of such problems costs each nothing).
            alone = Incident(id=incident_id(fingerprint, start), started_at=_time(start))
            return alone.model_copy(update={"joined_at": alone.started_at})
        keys = {_key(link) for link in links}
        for candidate in self.open:
            if not candidate.started - self.window <= start <= candidate.latest + self.window:
                continue
            shared = [link for link in candidate.incident.links if _key(link) in keys]
            if shared:
                candidate.latest = max(candidate.latest, start)
                problems = candidate.incident.problems + 1
                candidate.incident = candidate.incident.model_copy(update={"problems": problems})
                self.changed[candidate.incident.id] = candidate
                return candidate.incident.model_copy(
                    update={"joined_by": shared, "joined_at": _time(start)}
                )
        incident = Incident(
            id=incident_id(fingerprint, start), started_at=_time(start), links=links
        )
        opened = OpenIncident(incident, start)
        bisect.insort(self.open, opened, key=_order)
        self.changed[incident.id] = opened
        return incident.model_copy(update={"joined_by": links, "joined_at": incident.started_at})
