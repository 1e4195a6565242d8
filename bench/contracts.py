"""Decoding, lifting and fingerprinting speed of the shared contracts."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

from shared.events import decode_raw_error
from shared.fingerprint import fingerprint, parameterise

ALERT = json.dumps(
    {
        "title": "Timeout after 30000 ms calling https://payments.example.com/v1/charge for "
        "order 5f0c1e2a-3b4c-4d5e-8f90-1a2b3c4d5e6f",
        "severity": "high",
        "source": "checkout",
        "environment": "production",
        "tags": {"region": "eu-west-1", "pod": "checkout-7d9f"},
    }
).encode()


def rate(label: str, action: Callable[[int], object], count: int) -> None:
    started = time.perf_counter()
    for index in range(count):
        action(index)
    elapsed = time.perf_counter() - started
    print(f"{label:<44} {count / elapsed:>10,.0f} per second  ({count:,} in {elapsed:.2f} s)")


def run() -> None:
    rate(
        "decode + lift bare alert to RawError",
        lambda i: decode_raw_error(ALERT, coordinates=f"errors.raw/0/{i}", producer="/bench"),
        20_000,
    )
    title = json.loads(ALERT)["title"]
    rate("parameterise a title", lambda _: parameterise(title), 50_000)
    rate(
        "fingerprint a title",
        lambda _: fingerprint(kind="message", parts=["checkout", title]),
        50_000,
    )
    # The longest title read (2,048 characters) as one word that almost matches a mask (glued
    # values, a path that never ends): what a hostile sender can make the fingerprint cost.
    hostile = ["1:" * 1024 + "|", "/" + "a" * 2046 + "|"]
    rate(
        "fingerprint a hostile 2 KB word",
        lambda i: fingerprint(kind="message", parts=["checkout", hostile[i % len(hostile)]]),
        200,
    )
