"""Masking's quick checks: a mask is tried only on text that holds what a match of it needs
(a substring, a short pattern, a match at the start), so a check that turns text away must
turn away only text the mask would leave as it is."""

from __future__ import annotations

import json
import random
import re

import pytest

import shared.fingerprint as masking
from bench.grouping_accuracy import LOGHUB_PATH, load_labelled

_SAMPLE = 1500


@pytest.fixture(scope="module")
def texts() -> list[str]:
    """Real messages from the labelled set and Loghub-2k, each also as masking leaves it part
    way (a mask's check sees the text the masks before it made)."""
    loghub = [json.loads(line)["message"] for line in LOGHUB_PATH.read_text().splitlines()]
    labelled = [message.message for message in load_labelled()]
    messages = random.Random(14).sample(labelled + loghub, _SAMPLE)
    steps = []
    for text in messages:
        steps.append(text)
        for masker, replacement in masking._MASKS:
            text = masker.sub(replacement, text)
            steps.append(text)
    return sorted(set(steps))


#: The masks whose check only saves time (not one that narrows what the mask means).
GATED = [
    index
    for index, (masker, _) in enumerate(masking._MASKS)
    if not isinstance(masker, re.Pattern) and not getattr(masker, "narrows", False)
]


@pytest.mark.parametrize("index", GATED)
def test_a_mask_turned_away_by_its_check_would_have_changed_nothing(
    index: int, texts: list[str]
) -> None:
    masker, replacement = masking._MASKS[index]
    assert not isinstance(masker, re.Pattern)
    turned_away = [text for text in texts if masker.sub(replacement, text) is text]
    changed = [t for t in turned_away if masker.pattern.sub(replacement, t) != t]
    assert not changed, f"mask {index} skipped text it changes: {changed[:3]}"


def test_a_mask_at_the_start_must_be_anchored() -> None:
    with pytest.raises(ValueError, match="not anchored"):
        masking._at_start(r"\bfoo")
