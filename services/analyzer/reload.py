"""Reloading error_patterns.json without a restart: a changed, valid file replaces the patterns;
an invalid one is reported and the running patterns stay."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import structlog

from services.analyzer.metrics import PATTERN_RELOADS
from services.analyzer.patterns_file import ErrorPattern, load_patterns
from shared.config.file_watch import FileWatch
from shared.errors import ConfigError

log = structlog.get_logger(__name__)


class PatternsWatcher:
    def __init__(self, path: Path, apply: Callable[[Sequence[ErrorPattern]], None]) -> None:
        self.path = path
        self._apply = apply
        self._watch = FileWatch(path)

    def check(self) -> bool:
        """Reload if the file changed; True when new patterns were applied."""
        if not self._watch.changed():
            return False
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
