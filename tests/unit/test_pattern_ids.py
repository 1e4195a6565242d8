"""Pattern ids: one id for a pattern's whole life while its template generalises; the oldest
related pattern wins; miners that learn one shape agree."""

from __future__ import annotations

from services.analyzer.pattern_ids import (
    Recorded,
    Registry,
    generalises,
    new_pattern_id,
    resolve,
)
from services.analyzer.templates import TemplateMiner


def test_a_pattern_keeps_its_id_while_its_template_generalises() -> None:
    miner = TemplateMiner()
    first = miner.add("Session for user alice closed by peer")
    second = miner.add("Session for user bob closed by peer")
    third = miner.add("Session for user carol closed by peer")
    assert first.template == "Session for user alice closed by peer"
    assert second.template == third.template == "Session for user <*> closed by peer"
    assert first.pattern_id == second.pattern_id == third.pattern_id
    assert first.pattern_id == new_pattern_id(first.template)  # born with its first template
    assert miner.history(first.pattern_id) == [first.template, second.template]


def test_different_shapes_get_different_ids() -> None:
    miner = TemplateMiner()
    closed = miner.add("Session for user alice closed by peer")
    refused = miner.add("Connection to db-7 refused after 31 ms")
    assert closed.pattern_id != refused.pattern_id
    assert miner.add("Session for user bob closed by peer").pattern_id == closed.pattern_id


def test_miners_that_learn_from_the_same_first_message_agree_without_talking() -> None:
    a, b = TemplateMiner(), TemplateMiner()
    assert (
        a.add("Disk /dev/sda1 is 93% full").pattern_id
        == b.add("Disk /dev/sdb2 is 97% full").pattern_id
    )


def test_generalises_is_per_token_and_needs_the_same_length() -> None:
    assert generalises(["user", "<*>", "in"], ["user", "bob", "in"])
    assert not generalises(["user", "bob", "in"], ["user", "<*>", "in"])
    assert not generalises(["user", "<*>"], ["user", "bob", "in"])
    assert generalises(["a", "b"], ["a", "b"])


def test_resolve_picks_the_oldest_related_pattern() -> None:
    registry = Registry(
        [
            Recorded(1, "job <*> done", "pat_old"),
            Recorded(2, "job 7 done", "pat_young"),
            Recorded(3, "disk full", "pat_disk"),
        ]
    )
    assert resolve("job 7 done", [registry]) == "pat_old"  # held by the young one, related to both
    assert resolve("job 9 done", [registry]) == "pat_old"  # generalised by the old one's template
    assert resolve("<*> <*> done", [registry]) == "pat_old"  # generalises both
    assert resolve("disk full", [registry]) == "pat_disk"
    assert resolve("disk empty", [registry]) == new_pattern_id("disk empty")
    staged = Registry([Recorded(1, "job <*> <*>", "pat_staged")])
    assert resolve("job 5 done", [registry, staged]) == "pat_old"  # every stored one is older


def test_a_template_belongs_to_the_first_pattern_that_recorded_it() -> None:
    registry = Registry([Recorded(2, "x <*>", "pat_b"), Recorded(1, "x <*>", "pat_a")])
    assert registry.owner("x <*>") == "pat_a"
    assert registry.seq == 2
    assert registry.templates("pat_b") == []
