"""Noticing that a config file changed, for files that are reloaded without a restart."""

from __future__ import annotations

from pathlib import Path


class FileWatch:
    """:meth:`changed` is true once after each change of the file's modification time or size
    (a missing file is no change: the running configuration stays)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._seen = self._stamp()

    def _stamp(self) -> tuple[int, int] | None:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return None
        return stat.st_mtime_ns, stat.st_size

    def changed(self) -> bool:
        stamp = self._stamp()
        if stamp is None or stamp == self._seen:
            return False
        self._seen = stamp
        return True
