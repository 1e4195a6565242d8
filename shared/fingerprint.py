"""One function decides what "the same problem" is: the fingerprint.

The fingerprint is the Kafka key of ``errors.raw`` onward, the unit of per-problem state and
the Slack thread. It is the source's own grouping when there is one (a Sentry issue id, an SDK
``fingerprint``, an Alertmanager fingerprint, a sender's ``dedup_key``); otherwise a hash of the
title after deterministic parameterisation. It never changes for a given input.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from typing import Final, Literal

GroupingKind = Literal["sentry_issue", "sdk", "alertmanager", "dedup_key", "message"]

_MAX_TEXT: Final = 2048

# Order matters: the wider shapes (timestamps, URLs, e-mails) are masked before their parts.
_MASKS: Final[tuple[tuple[re.Pattern[str], str], ...]] = (
    (
        re.compile(
            r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?"
            r"(?:Z|[+-]\d{2}:?\d{2})?"
        ),
        "<ts>",
    ),
    (re.compile(r"\b\d{2}:\d{2}:\d{2}(?:[.,]\d{1,9})?\b"), "<ts>"),
    (
        re.compile(
            r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"
        ),
        "<uuid>",
    ),
    (re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]{1,15}://[^\s'\"<>]+"), "<url>"),
    (re.compile(r"[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63})+"), "<email>"),
    (re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}(?::\d{1,5})?\b"), "<ip>"),
    (re.compile(r"(?<![\w:])(?:[0-9a-fA-F]{1,4}:){7}[0-9a-fA-F]{1,4}\b"), "<ip>"),
    (re.compile(r"\b0x[0-9a-fA-F]+\b"), "<hex>"),
    (re.compile(r"\b(?=[0-9a-fA-F]*\d)[0-9a-fA-F]{8,}\b"), "<hex>"),
    (re.compile(r"(?:[A-Za-z]:\\|\\\\)[^\s'\"]+"), "<path>"),
    (re.compile(r"(?<![\w<])(?:/[\w.@~+-]+){2,}/?"), "<path>"),
    # A quote opens a value only where a word does not go on (not the apostrophe of "can't").
    (re.compile(r"(?<!\w)'[^'\n]{0,200}'(?!\w)"), "<str>"),
    (re.compile(r'"[^"\n]{0,200}"'), "<str>"),
    # Numbers, with or without a unit (30s, 212ms, 1.5GB, 80%).
    (
        re.compile(
            r"(?<![\w<])[-+]?\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h|d|[kKMGT]i?[bB]|%)?(?![\w>])"
        ),
        "<num>",
    ),
)
_SPACES: Final = re.compile(r"\s+")


def parameterise(text: str) -> str:
    """Mask the variable parts of ``text``: times, ids, addresses, paths, quoted values, numbers."""
    out = text[:_MAX_TEXT]
    for pattern, mask in _MASKS:
        out = pattern.sub(mask, out)
    return _SPACES.sub(" ", out).strip()


def fingerprint(
    *,
    kind: GroupingKind,
    parts: Sequence[str],
) -> str:
    """Return the stable fingerprint (32 hex characters) for a grouping ``kind`` and its ``parts``.

    For ``kind="message"`` pass ``[service, title]``: the title is parameterised here, so two
    messages that differ only in their variable parts share a fingerprint.
    """
    if not parts:
        raise ValueError("fingerprint needs at least one part")
    basis = [*parts[:-1], parameterise(parts[-1])] if kind == "message" else list(parts)
    digest = hashlib.sha256("\x1f".join([kind, *basis]).encode("utf-8"))
    return digest.hexdigest()[:32]
