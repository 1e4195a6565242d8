"""Categorisation: every configured pattern matched at once with an RE2 set (linear time, cost
independent of the number of patterns), with a best-effort fallback for unmatched messages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import re2

from services.analyzer.patterns_file import ErrorPattern, re2_options

#: Longest text matched; the start of a message carries its shape.
MAX_TEXT = 8192
#: Memory budget of the compiled set (RE2's default of 8 MiB fits ~100 patterns, not 1,000s).
SET_MAX_MEM = 512 << 20


class PatternSet:
    """Compiled regular expressions; :meth:`matches` returns the indices that match."""

    def __init__(self, regexes: Sequence[str]) -> None:
        options = re2_options()
        options.max_mem = SET_MAX_MEM
        self._set: Any = re2.Set.SearchSet(options)
        for regex in regexes:
            if self._set.Add(regex) < 0:
                raise ValueError(f"RE2 cannot compile {regex!r}")
        if regexes:
            try:
                self._set.Compile()
            except re2.error as exc:
                raise ValueError(f"RE2 cannot compile a set of {len(regexes)} patterns") from exc
        self._empty = not regexes

    def matches(self, text: str) -> list[int]:
        if self._empty:
            return []
        return sorted(self._set.Match(text[:MAX_TEXT]) or ())


@dataclass(frozen=True)
class Match:
    category: str
    confidence: float
    pattern: ErrorPattern | None
    rule: str


class PatternMatcher:
    """The configured patterns: the most confident matching pattern wins (file order on ties)."""

    def __init__(self, patterns: Sequence[ErrorPattern]) -> None:
        self.patterns = tuple(patterns)
        self._set = PatternSet([p.pattern for p in self.patterns])

    def all(self, text: str) -> list[ErrorPattern]:
        return [self.patterns[i] for i in self._set.matches(text)]

    def best(self, text: str) -> Match | None:
        indices = self._set.matches(text)
        if not indices:
            return None
        index = max(indices, key=lambda i: (self.patterns[i].confidence, -i))
        pattern = self.patterns[index]
        return Match(pattern.category, pattern.confidence, pattern, pattern.id)
