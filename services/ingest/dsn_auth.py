"""Which DSN public key a Sentry SDK request carries, and whether we accept it.

SDKs send the key in ``X-Sentry-Auth: Sentry sentry_key=<key>, sentry_version=7, ...``, in the
query string (``?sentry_key=<key>&sentry_version=7``; browsers), in ``Authorization: Sentry ...``
(some older SDKs) or as the ``dsn`` in the envelope header (tunnels).
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit


def parse_auth_header(value: str) -> dict[str, str]:
    """``Sentry sentry_key=a, sentry_version=7`` -> ``{"sentry_key": "a", ...}``."""
    body = value.strip()
    if body[:7].lower() == "sentry ":
        body = body[7:]
    out: dict[str, str] = {}
    for part in body.split(","):
        name, sep, item = part.strip().partition("=")
        if sep:
            out[name.strip().lower()] = item.strip()
    return out


def key_from_dsn(dsn: Any) -> str | None:
    if not isinstance(dsn, str):
        return None
    try:
        return urlsplit(dsn).username or None
    except ValueError:
        return None


def public_key(
    headers: Mapping[str, str], query: Mapping[str, str], envelope_header: Mapping[str, Any]
) -> str | None:
    """The first key found: X-Sentry-Auth, Authorization, query string, envelope ``dsn``."""
    for name in ("x-sentry-auth", "authorization"):
        value = headers.get(name)
        if value and (key := parse_auth_header(value).get("sentry_key")):
            return key
    return query.get("sentry_key") or key_from_dsn(envelope_header.get("dsn"))


def parse_keys(configured: str) -> frozenset[str]:
    """INGEST_DSN_KEYS: comma-separated public keys."""
    return frozenset(key.strip() for key in configured.split(",") if key.strip())


def key_accepted(key: str, accepted: Iterable[str]) -> bool:
    """Compare against every accepted key in constant time per key."""
    found = False
    for candidate in accepted:
        found |= hmac.compare_digest(key.encode(), candidate.encode())
    return found
