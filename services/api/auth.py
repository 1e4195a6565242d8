"""Who is asking: a bearer token, checked against the stored hashes, and the role an endpoint
needs. Without a valid token: 401; with a token whose role is too low: 403."""

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from services.api.errors import ApiError
from services.api.tokens import Role, TokenInfo, verify_token
from shared.storage import Database

Check = Callable[..., Awaitable[TokenInfo]]

_bearer = HTTPBearer(
    auto_error=False,
    description="A token made by `alertorch tokens create --role viewer|operator|admin`.",
)
_CHALLENGE = {"WWW-Authenticate": "Bearer"}


def guard(database: Database) -> Callable[[Role], Check]:
    """``requires(role)``: a FastAPI dependency giving the caller's token when it has ``role``
    (or a higher one)."""

    def requires(role: Role) -> Check:
        async def check(
            credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
        ) -> TokenInfo:
            if credentials is None:
                raise ApiError(401, "unauthorized", "a bearer token is required", _CHALLENGE)
            info = await verify_token(database, credentials.credentials)
            if info is None:
                raise ApiError(401, "unauthorized", "unknown or revoked token", _CHALLENGE)
            if not info.allows(role):
                raise ApiError(
                    403, "forbidden", f"this needs the {role} role; the token is {info.role}"
                )
            return info

        return check

    return requires
