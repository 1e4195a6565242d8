"""Reading a labelled evaluation set: one JSON object per line, each with the same text fields."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path


def text_rows(path: Path, keys: Sequence[str]) -> Iterator[tuple[int, tuple[str, ...]]]:
    """(line number, the values of ``keys``) for each non-blank line of ``path``, in order; a
    line that is not an object with non-empty text under every key raises ``ValueError``."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        row = json.loads(line)
        if not isinstance(row, dict):
            raise ValueError(f"{path}:{number}: expected a JSON object")
        values = [row.get(key) for key in keys]
        if not all(isinstance(value, str) and value for value in values):
            named = ", ".join(keys[:-1]) + f" and {keys[-1]}" if len(keys) > 1 else keys[0]
            raise ValueError(f"{path}:{number}: {named} must be non-empty text")
        yield number, tuple(str(value) for value in values)
