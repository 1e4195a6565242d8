"""Small tolerant readers shared by the normalisers."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final

from services.ingest.errors import InvalidPayload
from shared.events import Severity, keep_ends, parse_severity

MAX_TAGS: Final = 100
MAX_TAG_KEY: Final = 200
MAX_TAG_VALUE: Final = 1024
#: Alertmanager and Go write this for "no time".
_ZERO_YEAR: Final = 1


def text(value: Any, limit: int) -> str | None:
    """``value`` as a string of at most ``limit`` characters (head and tail kept around a marker
    when longer); ``None`` if absent, empty or odd."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        return None
    return keep_ends(value, limit)


def mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def require_mapping(value: Any, field: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise InvalidPayload(
            f"{field} is required", details=[{"field": field, "error": "must be a JSON object"}]
        )
    return value


def require_text(obj: Mapping[str, Any], key: str, field: str, *, limit: int = 1000) -> str:
    value = text(obj.get(key), limit)
    if value is None:
        raise InvalidPayload(
            f"{field}.{key} is required",
            details=[{"field": f"{field}.{key}", "error": "must be a non-empty string"}],
        )
    return value


def parse_time(value: Any) -> datetime | None:
    """An ISO 8601 string or epoch seconds as an aware UTC datetime; ``None`` if unreadable."""
    try:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return datetime.fromtimestamp(float(value), UTC)
        if isinstance(value, str) and value:
            parsed = datetime.fromisoformat(value)
            if parsed.year == _ZERO_YEAR:
                return None
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except (ValueError, OverflowError, OSError):
        return None
    return None


def tags(value: Any) -> dict[str, str]:
    """Tags from a map or a list of ``[key, value]`` pairs; scalar values only, bounded."""
    pairs: list[tuple[Any, Any]] = []
    if isinstance(value, Mapping):
        pairs = list(value.items())
    elif isinstance(value, list):
        pairs = [
            (item[0], item[1])
            for item in value
            if isinstance(item, list | tuple) and len(item) == 2
        ]
    out: dict[str, str] = {}
    for key, item in pairs:
        if len(out) >= MAX_TAGS:
            break
        name = text(key, MAX_TAG_KEY)
        if name is None:
            continue
        if isinstance(item, bool):
            out[name] = "true" if item else "false"
        elif (word := text(item, MAX_TAG_VALUE)) is not None:
            out[name] = word
    return out


def severity(word: Any, default: Severity) -> Severity:
    """The severity a level word stands for; ``default`` when absent or unknown."""
    if isinstance(word, str):
        try:
            return parse_severity(word)
        except ValueError:
            return default
    return default


def to_int(value: Any, default: int | None = None) -> int | None:
    """Sentry sends counts as strings ("25"); anything unreadable gives ``default``."""
    if isinstance(value, bool):
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        return default
