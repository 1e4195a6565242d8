"""Sentry integration webhook signatures: ``Sentry-Hook-Signature`` is the hex HMAC-SHA256 of the
raw request body keyed with the integration's client secret."""

from __future__ import annotations

import hashlib
import hmac


def sign(body: bytes, secret: str) -> str:
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def signature_valid(body: bytes, signature: str | None, secret: str) -> bool:
    if not signature or not secret:
        return False
    # Bytes, not str: compare_digest refuses non-ASCII text, and a header may carry any byte.
    given = signature.strip().lower().encode("utf-8", "replace")
    return hmac.compare_digest(sign(body, secret).encode("ascii"), given)
