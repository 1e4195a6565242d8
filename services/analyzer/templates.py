"""Online template mining with Drain (drain3): messages of one shape share one template.

Text is parameterised first (the same masking the fingerprint uses), then mined. A template's
``pattern_id`` is derived from the template text, so instances that learn the same shape agree.
Cluster count is bounded (least recently used clusters are evicted) and the state is snapshotted
to the service's store by the caller (:meth:`TemplateMiner.snapshot`), not on every change.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import Any

from drain3 import TemplateMiner as _Drain3Miner
from drain3.persistence_handler import PersistenceHandler
from drain3.template_miner_config import TemplateMinerConfig

from shared.fingerprint import parameterise

# drain3 logs every snapshot and start-up at INFO.
logging.getLogger("drain3").setLevel(logging.WARNING)

MAX_CHARS = 1024


@dataclass(frozen=True)
class Template:
    template: str
    pattern_id: str
    cluster_id: int


def pattern_id_for(template: str) -> str:
    return "tpl_" + hashlib.sha256(template.encode("utf-8")).hexdigest()[:16]


def mining_text(text: str) -> str:
    """The part of a message that is mined: its first line, parameterised."""
    first = text.strip().splitlines()[0] if text.strip() else ""
    return parameterise(first[:MAX_CHARS])


class _Snapshot(PersistenceHandler):  # type: ignore[misc]
    def __init__(self, state: bytes | None) -> None:
        self.state = state

    def save_state(self, state: bytes) -> None:
        self.state = state

    def load_state(self) -> bytes | None:
        return self.state


class _Miner(_Drain3Miner):  # type: ignore[misc]
    """drain3's miner, minus its snapshot-on-every-change (we snapshot on our schedule)."""

    dirty = False

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
    ) -> None:
        config = TemplateMinerConfig()
        config.drain_sim_th = similarity
        config.drain_depth = depth
        config.drain_max_clusters = max_clusters
        config.snapshot_compress_state = True
        config.mask_prefix, config.mask_suffix = "<", ">"
        self._handler = _Snapshot(state)
        self._miner: Any = _Miner(persistence_handler=self._handler, config=config)

    def add(self, text: str) -> Template:
        result = self._miner.add_log_message(mining_text(text) or "<empty>")
        template = str(result["template_mined"])
        return Template(
            template=template,
            pattern_id=pattern_id_for(template),
            cluster_id=int(result["cluster_id"]),
        )

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
