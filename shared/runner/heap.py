"""What a started service leaves to the garbage collector.

CPython's full collection walks every container object the process holds. A started service
holds 130,000-170,000 (its modules, the Kafka client, SQLAlchemy's tables and compiled
statements, pydantic's models, its rules and patterns), nearly all of them for life, and each
full collection walked them again: 125-210 ms of CPU in the analyzer, resolver and console,
170-540 ms of wall time on a loaded two-core machine, and an alert caught behind one waits that long
(docs/performance.md, *Garbage collection pauses*). Once started, a service moves what it has
made so far out of the collector's way; what it makes from then on is collected as before.
"""

from __future__ import annotations

import gc


def settle() -> int:
    """Move every object tracked so far to the permanent generation (never scanned again; still
    freed when nothing refers to it). How many objects were moved."""
    gc.collect()  # what startup left as garbage is freed, not kept for life
    gc.freeze()
    return gc.get_freeze_count()
