"""A started service's objects are moved out of the garbage collector's way
(``shared.runner.heap``), and what startup left as garbage is freed first."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from shared.runner import heap


class _Node:
    def __init__(self) -> None:
        self.other: _Node | None = None


@pytest.fixture
def unfrozen() -> Iterator[None]:
    yield
    gc.unfreeze()  # the test process goes on as it was


@pytest.mark.usefixtures("unfrozen")
def test_what_exists_is_never_scanned_again_and_what_comes_later_is() -> None:
    kept = [[n] for n in range(1000)]  # containers the collector tracks
    moved = heap.settle()
    assert moved == gc.get_freeze_count() >= len(kept)
    scanned = {id(o) for o in gc.get_objects()}
    assert not any(id(item) in scanned for item in kept)
    later = [[n] for n in range(10)]
    scanned = {id(o) for o in gc.get_objects()}
    assert all(id(item) in scanned for item in later)


@pytest.mark.usefixtures("unfrozen")
def test_garbage_left_by_startup_is_freed_not_kept_for_life() -> None:
    first, second = _Node(), _Node()
    first.other, second.other = second, first  # a cycle only the collector frees
    gone = weakref.ref(first)
    del first, second
    heap.settle()
    assert gone() is None
