"""Request bodies compressed with gzip, deflate (zlib or raw) or brotli, inflated within a limit.

A body that would inflate past the limit is refused (413) before it is held in memory, so a
small compressed bomb cannot exhaust the service.
"""

from __future__ import annotations

import zlib
from typing import Final

import brotli

from services.ingest.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType

ENCODINGS: Final = ("gzip", "x-gzip", "deflate", "br", "identity")
_GZIP: Final = 16 + zlib.MAX_WBITS
_ZLIB: Final = zlib.MAX_WBITS
_RAW: Final = -zlib.MAX_WBITS


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"the body inflates to more than {limit} bytes")


def _inflate(body: bytes, wbits: int, limit: int, name: str) -> bytes:
    inflater = zlib.decompressobj(wbits)
    try:
        out = inflater.decompress(body, limit + 1)
        if len(out) > limit or inflater.unconsumed_tail:
            raise _too_large(limit)
        out += inflater.flush()
    except zlib.error as exc:
        raise BadRequest(f"the body is not valid {name} data: {exc}") from None
    if len(out) > limit:
        raise _too_large(limit)
    if not inflater.eof:
        raise BadRequest(f"the {name} body is truncated")
    return out


def _brotli(body: bytes, limit: int) -> bytes:
    decompressor = brotli.Decompressor()
    try:
        out: bytes = decompressor.process(body, output_buffer_limit=limit + 1)
    except brotli.error as exc:
        raise BadRequest(f"the body is not valid brotli data: {exc}") from None
    if len(out) > limit:
        raise _too_large(limit)
    if not decompressor.is_finished():
        raise BadRequest("the brotli body is truncated")
    return out


def decode_body(body: bytes, encoding: str | None, *, limit: int) -> bytes:
    """``body`` with its ``Content-Encoding`` undone; 415 for codings we do not speak."""
    codings = [c.strip().lower() for c in (encoding or "").split(",") if c.strip()]
    # Codings are listed in the order they were applied: undo the last first.
    for coding in reversed(codings):
        if coding in ("gzip", "x-gzip"):
            body = _inflate(body, _GZIP, limit, "gzip")
        elif coding == "deflate":
            # HTTP's "deflate" is zlib-wrapped; some clients send raw deflate.
            zlib_header = (
                len(body) >= 2 and (body[0] & 0x0F) == 8 and (body[0] << 8 | body[1]) % 31 == 0
            )
            wbits = _ZLIB if zlib_header else _RAW
            body = _inflate(body, wbits, limit, "deflate")
        elif coding == "br":
            body = _brotli(body, limit)
        elif coding != "identity":
            raise UnsupportedMediaType(
                f"unsupported Content-Encoding {coding!r}",
                details=[
                    {"field": "Content-Encoding", "error": f"use one of {', '.join(ENCODINGS)}"}
                ],
            )
    return body
