"""Online template mining with Drain (drain3): messages of one shape share one template.

Text is parameterised first (the same masking the fingerprint uses), then mined. Each cluster's
template is resolved to a pattern (:mod:`services.analyzer.pattern_ids`) whenever Drain creates
the cluster or changes its template, so a pattern keeps one ``pattern_id`` while its template
generalises. Cluster count is bounded (least recently used clusters are evicted); the Drain state
is snapshotted to the service's store by the caller (:meth:`TemplateMiner.snapshot`), the
patterns' records are written per batch (:meth:`TemplateMiner.settle`, then
:meth:`TemplateMiner.confirm` once the batch is committed). Without a store (the library) the
records stay in memory.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from drain3 import TemplateMiner as _Drain3Miner
from drain3.persistence_handler import PersistenceHandler
from drain3.template_miner_config import TemplateMinerConfig

from services.analyzer.drain import Drain
from services.analyzer.pattern_ids import Recorded, Registry, oldest, related, resolve
from shared.fingerprint import parameterise, shape
from shared.stack_trace import error_text

# drain3 logs every snapshot and start-up at INFO.
logging.getLogger("drain3").setLevel(logging.WARNING)

MAX_CHARS = 1024


@dataclass(frozen=True)
class Template:
    template: str
    pattern_id: str
    cluster_id: int


@dataclass(frozen=True)
class Settlement:
    """What :meth:`TemplateMiner.settle` decided: the records to write, and the pattern id of
    every cluster decided again."""

    records: tuple[Recorded, ...] = ()
    ids: Mapping[int, str] = field(default_factory=dict)

    def pattern_id(self, cluster_id: int, current: str) -> str:
        return self.ids.get(cluster_id, current)


def mining_text(text: str) -> str:
    """The part of a message that is mined: the shape (:func:`shared.fingerprint.shape`) of
    its first line (of a JSON log line, its message and error), parameterised; of its second
    line when the first is a header masking drops before a message (.NET's console logger,
    ``fail: Orders.Api[0]``, and Rust's ``thread 'main' panicked at src/db.rs:42:5:`` write
    the message on the next line), as the fingerprint reads the whole text. A stack trace is
    left out first (:func:`shared.stack_trace.error_text`): a Python traceback is mined by the
    exception it raised, not by the ``Traceback (most recent call last):`` every one of
    them begins with."""
    lines = [line for line in error_text(text).strip().splitlines() if line.strip()]
    if not lines:
        return shape("")
    mined = parameterise(lines[0], limit=MAX_CHARS)
    if len(lines) > 1:
        second = parameterise(lines[1], limit=MAX_CHARS)
        if second and parameterise(f"{lines[0]} {lines[1]}", limit=MAX_CHARS) == second:
            mined = second
    return shape(mined)


class _Snapshot(PersistenceHandler):  # type: ignore[misc]
    def __init__(self, state: bytes | None) -> None:
        self.state = state

    def save_state(self, state: bytes) -> None:
        self.state = state

    def load_state(self) -> bytes | None:
        return self.state


class _Miner(_Drain3Miner):  # type: ignore[misc]
    """drain3's miner, minus its snapshot-on-every-change (we snapshot on our schedule), with
    our :class:`services.analyzer.drain.Drain` (also in place of a restored snapshot's)."""

    dirty = False

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.drain.__class__ = Drain

    def get_snapshot_reason(self, change_type: str, cluster_id: int) -> str | None:
        if change_type != "none":
            self.dirty = True
        return None


class TemplateMiner:
    def __init__(
        self,
        *,
        similarity: float = 0.6,
        depth: int = 4,
        max_clusters: int = 10_000,
        state: bytes | None = None,
        records: Iterable[Recorded] = (),
    ) -> None:
        config = TemplateMinerConfig()
        config.drain_sim_th = similarity
        config.drain_depth = depth
        config.drain_max_clusters = max_clusters
        config.snapshot_compress_state = True
        config.mask_prefix, config.mask_suffix = "<", ">"
        self._handler = _Snapshot(state)
        self._miner: Any = _Miner(persistence_handler=self._handler, config=config)
        self._max_clusters = max_clusters
        #: The records the store holds (all of them, up to ``registry.seq``).
        self.registry = Registry(records)
        #: Records of this miner not in the store yet, born after every record of the store.
        self._staged = Registry()
        #: Per cluster: its pattern id, its template when that was resolved, and the templates
        #: it held that the store does not know yet.
        self._ids: dict[int, str] = {}
        self._templates: dict[int, str] = {}
        self._pending: dict[int, list[str]] = {}
        for cluster in self._miner.drain.clusters:
            self._learn(int(cluster.cluster_id), str(cluster.get_template()))

    def add(self, text: str) -> Template:
        result = self._miner.add_log_message(mining_text(text) or "<empty>")
        cluster_id = int(result["cluster_id"])
        template = str(result["template_mined"])
        if self._templates.get(cluster_id) != template:
            self._learn(cluster_id, template)
        return Template(template=template, pattern_id=self._ids[cluster_id], cluster_id=cluster_id)

    def _learn(self, cluster_id: int, template: str) -> None:
        layers = (self.registry, self._staged)
        found = related(template, layers)
        pattern_id = oldest(template, found)
        self._ids[cluster_id] = pattern_id
        self._templates[cluster_id] = template
        if self.registry.owner(template) is None:
            held = self._pending.setdefault(cluster_id, [])
            if template not in held:
                held.append(template)
            if self._staged.owner(template) is None:
                self._staged.add(Recorded(self._staged.seq + 1, template, pattern_id))
        self._merge_into({p for _, _, p in found} - {pattern_id}, layers)
        if len(self._ids) > 2 * self._max_clusters:
            self._forget_evicted()

    def _merge_into(self, others: set[str], layers: Sequence[Registry]) -> dict[int, str]:
        """Clusters of the patterns ``others`` (related to a template just recorded: Drain mined
        one shape as two, and that template joins them) take the pattern they now resolve to,
        the older one; answers the clusters that moved, with their new pattern ids."""
        moved: dict[int, str] = {}
        if others:
            for other, held in self._ids.items():
                if held in others and (now := resolve(self._templates[other], layers)) != held:
                    moved[other] = self._ids[other] = now
        return moved

    def _forget_evicted(self) -> None:
        live = {int(c.cluster_id) for c in self._miner.drain.clusters} | set(self._pending)
        for ids in (self._ids, self._templates):
            for cluster_id in [c for c in ids if c not in live]:
                del ids[cluster_id]

    def history(self, pattern_id: str) -> list[str]:
        """The templates ``pattern_id`` has held, oldest first."""
        return self.registry.templates(pattern_id) + self._staged.templates(pattern_id)

    @property
    def unsettled(self) -> bool:
        """Some cluster holds a template the store does not know yet."""
        return bool(self._pending)

    def settle(self, fresh: Iterable[Recorded]) -> Settlement:
        """Decide again the pattern of every cluster holding templates the store does not know,
        against the store's records (``fresh``: those written since :attr:`registry` was last
        read, read under the store's lock), and answer the records to write (numbered after
        the store's) with each such cluster's pattern id, and that of every cluster a fresh
        record merged into an older pattern."""
        fresh = list(fresh)
        self.registry.extend(fresh)
        staged = Registry()
        staged.seq = self.registry.seq
        records: list[Recorded] = []
        ids: dict[int, str] = {}
        for record in fresh:  # another replica's template may join clusters of this one
            others = {p for _, _, p in related(record.template, (self.registry,))}
            ids.update(self._merge_into(others - {record.pattern_id}, (self.registry,)))
        for cluster_id, held in self._pending.items():
            pattern_id = resolve(self._templates[cluster_id], (self.registry, staged))
            ids[cluster_id] = self._ids[cluster_id] = pattern_id
            for template in held:
                if self.registry.owner(template) is None and staged.owner(template) is None:
                    record = Recorded(staged.seq + 1, template, pattern_id)
                    staged.add(record)
                    records.append(record)
        self._staged = staged
        return Settlement(records=tuple(records), ids=ids)

    def confirm(self, settlement: Settlement) -> None:
        """``settlement``'s records are committed to the store."""
        self.registry.extend(settlement.records)
        for cluster_id in settlement.ids:
            self._pending.pop(cluster_id, None)
        self._staged = Registry()

    @property
    def dirty(self) -> bool:
        return bool(self._miner.dirty)

    @property
    def cluster_count(self) -> int:
        return len(self._miner.drain.clusters)

    def snapshot(self) -> bytes:
        """The whole mined state, compressed; pass it back as ``state`` to restore."""
        self._miner.save_state("snapshot")
        self._miner.dirty = False
        assert self._handler.state is not None
        return bytes(self._handler.state)
