"""Wire formats the ingest service reads: envelopes, DSN auth, content codings, signatures."""

from __future__ import annotations

import gzip
import zlib

import brotli
import pytest

from services.ingest.content_encoding import decode_body
from services.ingest.dsn_auth import key_accepted, parse_auth_header, parse_keys, public_key
from services.ingest.envelope import parse_envelope
from services.ingest.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType
from services.ingest.signature import sign, signature_valid


def test_envelope_items_with_and_without_length() -> None:
    body = (
        b'{"event_id":"9ec79c33ec9942ab8353589fcb2e04dc","dsn":"https://k@h/1"}\n'
        b'{"type":"attachment","length":10}\n'
        b"\xef\xbb\xbfHello\r\n\n"
        b'{"type":"event"}\n'
        b'{"message":"hi"}\n'
    )
    envelope = parse_envelope(body)
    assert envelope.header["event_id"] == "9ec79c33ec9942ab8353589fcb2e04dc"
    assert [i.type for i in envelope.items] == ["attachment", "event"]
    assert envelope.items[0].payload == b"\xef\xbb\xbfHello\r\n"
    assert envelope.items[1].payload == b'{"message":"hi"}'


def test_envelope_without_trailing_newline_and_empty_header() -> None:
    envelope = parse_envelope(b'{}\n{"type":"session","length":2}\n{}')
    assert envelope.items[0].payload == b"{}"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"", "header"),
        (b"not json\n", "header"),
        (b'{}\n{"type":"event","length":99}\n{}\n', "items[0].header.length"),
        (b'{}\n{"type":"event","length":2}\n{}xx\n', "items[0].payload"),
        (b'{}\n{"length":2}\n{}\n', "items[0].header.type"),
        (b"{}\n[1]\n", "items[0].header"),
        (b'{}\n{"type":"event","length":-1}\n', "items[0].header.length"),
    ],
)
def test_malformed_envelopes_name_the_part(body: bytes, field: str) -> None:
    with pytest.raises(BadRequest) as caught:
        parse_envelope(body)
    assert caught.value.error == "malformed envelope"
    assert caught.value.details[0]["field"] == field


def test_dsn_key_from_each_place() -> None:
    auth = "Sentry sentry_key=abc, sentry_version=7, sentry_client=sentry.python/2.0"
    assert parse_auth_header(auth)["sentry_client"] == "sentry.python/2.0"
    assert public_key({"x-sentry-auth": auth}, {}, {}) == "abc"
    assert public_key({"authorization": "Sentry sentry_key=def"}, {}, {}) == "def"
    assert public_key({}, {"sentry_key": "ghi"}, {}) == "ghi"
    assert public_key({}, {}, {"dsn": "https://jkl@example.com/42"}) == "jkl"
    assert public_key({"authorization": "Bearer x"}, {}, {}) is None
    keys = parse_keys(" abc, ,def ")
    assert keys == frozenset({"abc", "def"})
    assert key_accepted("abc", keys)
    assert not key_accepted("abd", keys)


def test_content_codings_inflate() -> None:
    raw = b'{"message": "hello"}' * 10
    assert decode_body(gzip.compress(raw), "gzip", limit=10_000) == raw
    assert decode_body(zlib.compress(raw), "deflate", limit=10_000) == raw
    raw_deflate = zlib.compressobj(wbits=-15)
    packed = raw_deflate.compress(raw) + raw_deflate.flush()
    assert decode_body(packed, "deflate", limit=10_000) == raw
    assert decode_body(brotli.compress(raw), "br", limit=10_000) == raw
    assert decode_body(raw, None, limit=10) == raw, "the limit is for inflating only"
    assert decode_body(raw, "identity", limit=10_000) == raw


@pytest.mark.parametrize("coding", ["gzip", "deflate", "br"])
def test_compressed_bombs_are_refused_before_they_inflate(coding: str) -> None:
    raw = b"\0" * 5_000_000
    packed = {"gzip": gzip.compress, "deflate": zlib.compress, "br": brotli.compress}[coding](raw)
    assert len(packed) < 50_000
    with pytest.raises(PayloadTooLarge):
        decode_body(packed, coding, limit=100_000)


def test_bad_compressed_data_and_unknown_codings() -> None:
    with pytest.raises(BadRequest):
        decode_body(b"not gzip at all", "gzip", limit=1000)
    with pytest.raises(BadRequest):
        decode_body(gzip.compress(b"x" * 100)[:-12], "gzip", limit=1000)
    with pytest.raises(BadRequest):
        decode_body(b"\xff\xff\xff", "br", limit=1000)
    with pytest.raises(UnsupportedMediaType):
        decode_body(b"x", "compress", limit=1000)


def test_sentry_hook_signature() -> None:
    body = b'{"action":"created"}'
    good = sign(body, "s3cret")
    assert signature_valid(body, good, "s3cret")
    assert signature_valid(body, good.upper(), "s3cret")
    assert not signature_valid(body + b" ", good, "s3cret")
    assert not signature_valid(body, None, "s3cret")
    assert not signature_valid(body, good, "")
