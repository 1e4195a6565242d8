"""Browser sessions of the console's web page: a person logs in with a token once and gets a
session cookie; every form carries the session's CSRF token.

The cookie holds a random secret; the read model keeps only its SHA-256 (like tokens), the token
it was opened with and a CSRF token. A session ends after ``SESSION_SECONDS``, at logout, or as
soon as its token is revoked (it is checked on every request).
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import Final

from sqlalchemy import delete, insert, select

from services.api.tables import sessions, tokens
from services.api.tokens import TokenInfo, hash_token
from shared.storage import Database

COOKIE: Final = "alertorch_session"
SESSION_SECONDS: Final = 12 * 3600.0


@dataclass(frozen=True)
class Session:
    token: TokenInfo
    csrf: str
    expires_at: float

    def csrf_ok(self, given: str | None) -> bool:
        return given is not None and hmac.compare_digest(given.encode(), self.csrf.encode())


async def open_session(database: Database, token: TokenInfo, now: float) -> tuple[str, Session]:
    """A new session for ``token``: the cookie's secret (shown to nobody else) and the session."""
    secret = secrets.token_urlsafe(32)
    session = Session(token, secrets.token_urlsafe(24), now + SESSION_SECONDS)
    async with database.transaction() as db:
        await db.execute(delete(sessions).where(sessions.c.expires_at <= now))
        await db.execute(
            insert(sessions).values(
                secret_hash=hash_token(secret),
                token_id=token.token_id,
                csrf=session.csrf,
                created_at=now,
                expires_at=session.expires_at,
            )
        )
    return secret, session


async def session_of(database: Database, secret: str | None, now: float) -> Session | None:
    """The live session whose cookie holds ``secret`` (its token not revoked), or None."""
    if not secret or len(secret) > 200:
        return None
    query = (
        select(sessions.c.csrf, sessions.c.expires_at, tokens)
        .join(tokens, tokens.c.token_id == sessions.c.token_id)
        .where(
            sessions.c.secret_hash == hash_token(secret),
            sessions.c.expires_at > now,
            tokens.c.revoked_at.is_(None),
        )
    )
    async with database.transaction() as db:
        row = (await db.execute(query)).first()
    if row is None:
        return None
    return Session(TokenInfo.of_row(row), str(row.csrf), float(row.expires_at))


async def close_session(database: Database, secret: str | None) -> None:
    if secret:
        async with database.transaction() as db:
            await db.execute(delete(sessions).where(sessions.c.secret_hash == hash_token(secret)))
