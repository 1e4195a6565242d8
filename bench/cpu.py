"""CPU time per process, from ``/proc``: what each hop of the pipeline spends per event."""

from __future__ import annotations

import os
import re
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")
_SERVICE = re.compile(r"services\.cli (\w+)")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of ``pid`` so far (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICKS


def services_of(supervisor: int) -> dict[str, int]:
    """The ``alertorch <service>`` processes ``supervisor`` (``alertorch dev``) started, by name."""
    found: dict[str, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, ValueError, IndexError):
            continue
        named = _SERVICE.search(command)
        if parent == supervisor and named:
            found[named[1]] = int(entry.name)
    return found


class CpuMeter:
    """CPU seconds each named process spent between :meth:`start` and :meth:`stop`."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = pids
        self._start: dict[str, float] = {}
        self.spent: dict[str, float] = {}

    def start(self) -> None:
        self._start = {name: cpu_seconds(pid) for name, pid in self.pids.items()}

    def stop(self) -> dict[str, float]:
        self.spent = {
            name: cpu_seconds(pid) - self._start.get(name, 0.0) for name, pid in self.pids.items()
        }
        return self.spent
