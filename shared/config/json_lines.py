"""JSON loading that remembers where each object starts, so errors can say ``file:line``."""

from __future__ import annotations

import json
import json.decoder
import json.scanner
import re
from pathlib import Path
from typing import Any

from shared.errors import ConfigError


class LineDict(dict[str, Any]):
    """A JSON object with the text span it was parsed from."""

    text: str = ""
    start: int = 0
    end: int = 0

    @property
    def line(self) -> int:
        return self.text.count("\n", 0, self.start) + 1

    def line_of_key(self, key: str) -> int:
        """Line of ``"key":`` within this object (the object's line if not found)."""
        match = re.compile(r'"' + re.escape(key) + r'"\s*:').search(self.text, self.start, self.end)
        return self.text.count("\n", 0, match.start()) + 1 if match else self.line


def _decoder(text: str) -> json.JSONDecoder:
    decoder = json.JSONDecoder()
    parse_object = json.decoder.JSONObject  # type: ignore[attr-defined]

    def tracking_object(s_and_end: tuple[str, int], *args: Any) -> tuple[LineDict, int]:
        start = s_and_end[1] - 1
        obj, end = parse_object(s_and_end, *args)
        out = LineDict(obj)
        out.text, out.start, out.end = text, start, end
        return out, end

    decoder.parse_object = tracking_object  # type: ignore[attr-defined]
    decoder.scan_once = json.scanner.py_make_scanner(decoder)  # type: ignore[attr-defined]
    return decoder


def load_json(path: Path) -> Any:
    """Load a JSON file whose objects are :class:`LineDict`; syntax errors name file:line:col."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([f"{path}: cannot read: {exc.strerror or exc}"]) from None
    try:
        return _decoder(text).decode(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            [f"{path}:{exc.lineno}:{exc.colno}: JSON syntax error: {exc.msg}"]
        ) from None
