"""Reloading error_patterns.json without a restart: a changed, valid file replaces the patterns;
an invalid one is reported and the running patterns stay."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import structlog

from services.analyzer.metrics import PATTERN_RELOADS
from services.analyzer.patterns_file import ErrorPattern, load_patterns
from shared.errors import ConfigError

log = structlog.get_logger(__name__)


class PatternsWatcher:
    def __init__(self, path: Path, apply: Callable[[Sequence[ErrorPattern]], None]) -> None:
        self.path = path
        self._apply = apply
        self._seen = self._stamp()

    def _stamp(self) -> tuple[int, int] | None:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return None
        return stat.st_mtime_ns, stat.st_size

    def check(self) -> bool:
        """Reload if the file changed; True when new patterns were applied."""
        stamp = self._stamp()
        if stamp == self._seen or stamp is None:
            return False
        self._seen = stamp
        try:
            patterns = load_patterns(self.path)
        except ConfigError as exc:
            PATTERN_RELOADS.labels("invalid").inc()
            log.error(
                "pattern file invalid; keeping the running patterns",
                path=str(self.path),
                problems=exc.problems,
            )
            return False
        self._apply(patterns)
        PATTERN_RELOADS.labels("ok").inc()
        log.info("patterns reloaded", path=str(self.path), patterns=len(patterns))
        return True
