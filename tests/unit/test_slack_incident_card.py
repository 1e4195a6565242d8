"""The card the problems of one incident share in a channel: a line per problem with its exact
count, status and Acknowledge button; the worst severity and all occurrences on top."""

from __future__ import annotations

import json
from typing import Any

from services.notifier.slack.buttons import ButtonValue
from services.notifier.slack.defaults import INCIDENT_LISTED, LINE_LATEST
from services.notifier.slack.limits import MAX_BLOCKS
from services.notifier.slack.rendering import Renderer
from services.notifier.slack.state import Root
from shared.events import ErrorSummary, IncidentRef, Severity
from tests.fakes.slack import texts
from tests.unit.test_slack_templates import EVIL


def root(n: int, **changes: Any) -> Root:
    base: dict[str, Any] = {
        "fingerprint": f"fp-{n}",
        "channel": "#alerts",
        "channel_id": "C1",
        "ts": "100.1",
        "count": n * 10,
        "status": "Open",
        "summary": ErrorSummary(
            title=f"Checkout error {n}",
            severity=Severity.MEDIUM,
            service="checkout",
            environment="production",
            incident=IncidentRef(id="inc-1"),
        ),
        "actions": ("ack", "snooze", "resolve"),
        "attempt_id": None,
        "level": 0,
        "posted_at": float(n),
        "updated_at": float(n),
        "incident": "inc-1",
    }
    base.update(changes)
    return Root(**base)


def test_one_root_is_drawn_as_the_problem_card() -> None:
    blocks, fallback = Renderer().drawn([root(1)])
    assert blocks[0]["type"] == "header"
    assert "Checkout error 1" in fallback


def test_an_incident_card_lists_every_problem_with_its_count_and_status() -> None:
    high = root(2, summary=root(2).summary.model_copy(update={"severity": Severity.HIGH}))
    card = [root(1), high, root(3, status="Fix running", acted_by="Acknowledged by <@U1>")]
    blocks, fallback = Renderer().drawn(card)
    text = "\n".join(texts(blocks))
    assert "Incident: 3 problems" in text
    assert "*checkout* · *production*" in text
    assert "60 occurrences in all" in text
    assert "`inc-1`" in text
    for n, status in ((1, "Open"), (2, "Open"), (3, "Fix running")):
        line = next(b for b in blocks if f"Checkout error {n}*" in json.dumps(b))
        assert f"{n * 10} occurrences · {status}" in line["text"]["text"]
        value = ButtonValue.decode(line["accessory"]["value"])
        assert line["accessory"]["action_id"] == "ack"
        assert value == ButtonValue(f"fp-{n}")
    assert "Acknowledged by <@U1>" in text
    every = blocks[0]["accessory"]
    assert every["text"]["text"] == "Acknowledge all"
    assert ButtonValue.decode(every["value"]) == ButtonValue("fp-1", incident="inc-1")
    assert fallback == "[high] Incident: 3 problems (60 occurrences)"


def test_each_line_shows_its_problems_latest_update_cut_short() -> None:
    card = [root(1, latest="Disk at 97% on db-1"), root(2), root(3, latest="x" * 1000)]
    blocks, _ = Renderer().drawn(card)
    lines = {
        n: next(b for b in blocks if f"Checkout error {n}*" in json.dumps(b)) for n in (1, 2, 3)
    }
    assert lines[1]["text"]["text"].endswith("\n_Latest:_ Disk at 97% on db-1")
    assert "Latest" not in lines[2]["text"]["text"]
    assert lines[3]["text"]["text"].endswith("x" * (LINE_LATEST - 1) + "…")


def test_a_problem_without_an_ack_action_or_a_card_without_buttons_has_no_button() -> None:
    blocks, _ = Renderer().drawn([root(1), root(2, actions=())])
    assert [b.get("accessory", {}).get("action_id") for b in blocks[2:]] == ["ack", None]
    blocks, _ = Renderer().drawn([root(1, actions=()), root(2, actions=())])
    assert not any("accessory" in b for b in blocks)  # nothing to acknowledge: no Acknowledge all
    blocks, _ = Renderer(buttons=False).drawn([root(1), root(2)])
    assert not any("accessory" in b for b in blocks)
    assert not any(b["type"] == "actions" for b in blocks)


def test_a_large_incident_stays_within_slacks_block_limit_and_says_how_many_more() -> None:
    card = [root(n) for n in range(1, 61)]
    blocks, _ = Renderer().drawn(card)
    assert len(blocks) <= MAX_BLOCKS
    listed = [b for b in blocks if "occurrences ·" in "".join(texts(b))]
    assert len(listed) == INCIDENT_LISTED
    assert f"{60 - INCIDENT_LISTED} more problems" in "".join(texts(blocks[-1]))
    assert f"{sum(n * 10 for n in range(1, 61)):,} occurrences in all" in "".join(texts(blocks[0]))


def test_long_titles_are_cut_to_block_limits() -> None:
    summary = ErrorSummary(title="T" * 1000, severity=Severity.LOW, service="s" * 5000)
    blocks, fallback = Renderer().drawn([root(n, summary=summary) for n in range(1, 41)])
    assert len(fallback) <= 3000
    for block in blocks:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= 3000


def test_the_incident_card_escapes_untrusted_text() -> None:
    summary = ErrorSummary(
        title=EVIL, severity=Severity.HIGH, service="<!everyone>", environment="prod>"
    )
    blocks, fallback = Renderer().drawn([root(1, summary=summary), root(2, incident=EVIL)])
    for text in [*texts(blocks), fallback]:
        assert not any(bad in text for bad in ("<!", "<http")), text
        assert not any(bad in text for bad in ("@channel", "@here", "@everyone")), text
