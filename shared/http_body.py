"""A request body read with a limit checked before and while buffering, never after."""

from __future__ import annotations

from starlette.requests import Request

from shared.errors import AlertorchError


class BodyTooLarge(AlertorchError):
    """The body is larger than the limit (declared, or found while reading)."""


async def read_limited(request: Request, limit: int) -> bytes:
    """The body as sent; :class:`BodyTooLarge` as soon as it is known to exceed ``limit``
    bytes (from ``Content-Length`` before reading, or while reading)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(f"the body is {declared} bytes; the limit is {limit}")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(f"the body is over the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)
