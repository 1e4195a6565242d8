"""The API's bearer tokens: create, list, revoke, verify.

A token is ``ao_`` and 43 random URL-safe characters (256 bits). Only its SHA-256 is stored;
the token itself is shown once, when it is created. Each token has a role — ``viewer`` reads,
``operator`` also acts on alerts, ``admin`` also manages tokens — and may name a Slack user id,
which then becomes the actor id of its actions, so one person is one actor in Slack and in the
console.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any, Final, Literal, get_args

from sqlalchemy import insert, select, update

from services.api.tables import tokens
from shared.clock import SYSTEM_CLOCK, Clock
from shared.events import Actor
from shared.storage import Database

Role = Literal["viewer", "operator", "admin"]
ROLES: Final[tuple[Role, ...]] = get_args(Role)
PREFIX: Final = "ao_"


def rank(role: str) -> int:
    """The order of roles: each includes the rights of those before it."""
    return ROLES.index(role) if role in ROLES else -1


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True, kw_only=True)
class TokenInfo:
    token_id: str
    name: str
    role: Role
    slack_user: str | None
    created_at: float
    revoked_at: float | None

    @classmethod
    def of_row(cls, row: Any) -> TokenInfo:
        """From a row of the tokens table (other columns of the row are ignored)."""
        values = row._mapping
        return cls(**{name: values[name] for name in cls.__dataclass_fields__})

    def allows(self, role: Role) -> bool:
        return rank(self.role) >= rank(role)

    def actor(self) -> Actor:
        """Who acts with this token: its Slack user when it names one, else the token."""
        return Actor(
            kind="user", id=self.slack_user or f"console:{self.token_id}", name=self.name, via="api"
        )

    def public(self) -> dict[str, Any]:
        return {
            "token_id": self.token_id,
            "name": self.name,
            "role": self.role,
            "slack_user": self.slack_user,
            "created_at": self.created_at,
            "revoked_at": self.revoked_at,
        }


@dataclass(frozen=True)
class NewToken:
    info: TokenInfo
    token: str


def _check_role(role: str) -> Role:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; use one of: {', '.join(ROLES)}")
    return role


async def create_token(
    database: Database,
    *,
    role: str,
    name: str | None = None,
    slack_user: str | None = None,
    clock: Clock = SYSTEM_CLOCK,
) -> NewToken:
    """A new token with ``role``; the returned secret is not kept anywhere."""
    token_id = "tok_" + secrets.token_hex(6)
    token = PREFIX + secrets.token_urlsafe(32)
    info = TokenInfo(
        token_id=token_id,
        name=name or token_id,
        role=_check_role(role),
        slack_user=slack_user or None,
        created_at=clock.time(),
        revoked_at=None,
    )
    async with database.transaction() as db:
        await db.execute(insert(tokens).values(secret_hash=hash_token(token), **info.public()))
    return NewToken(info, token)


async def list_tokens(database: Database, *, include_revoked: bool = False) -> list[TokenInfo]:
    query = select(tokens).order_by(tokens.c.created_at, tokens.c.token_id)
    if not include_revoked:
        query = query.where(tokens.c.revoked_at.is_(None))
    async with database.transaction() as db:
        return [TokenInfo.of_row(row) for row in await db.execute(query)]


async def revoke_token(database: Database, token_id: str, *, clock: Clock = SYSTEM_CLOCK) -> bool:
    """Revoke ``token_id``; False when there is no such token or it was revoked already."""
    async with database.transaction() as db:
        result = await db.execute(
            update(tokens)
            .where(tokens.c.token_id == token_id, tokens.c.revoked_at.is_(None))
            .values(revoked_at=clock.time())
            .returning(tokens.c.token_id)
        )
        return result.first() is not None


async def verify_token(database: Database, token: str) -> TokenInfo | None:
    """The live token ``token`` is, or None (unknown, malformed or revoked)."""
    if not token.startswith(PREFIX) or len(token) > 200:
        return None
    query = select(tokens).where(
        tokens.c.secret_hash == hash_token(token), tokens.c.revoked_at.is_(None)
    )
    async with database.transaction() as db:
        row = (await db.execute(query)).first()
    return TokenInfo.of_row(row) if row is not None else None
