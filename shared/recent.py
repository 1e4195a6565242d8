"""A bounded map that keeps the most recently used values: an in-memory cache in front of a
store."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class Recent(Generic[K, V]):
    """At most ``size`` values by key, the least recently used dropped first (``size`` may be
    changed; the next :meth:`put` drops down to it)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._kept: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        value = self._kept.get(key)
        if value is not None:
            self._kept.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> None:
        self._kept[key] = value
        self._kept.move_to_end(key)
        while len(self._kept) > self.size:
            self._kept.popitem(last=False)

    def drop(self, key: K) -> None:
        self._kept.pop(key, None)

    def items(self) -> Iterator[tuple[K, V]]:
        """Every kept key and value, least recently used first."""
        return iter(list(self._kept.items()))

    def __len__(self) -> int:
        return len(self._kept)
