"""The category the analyzer gives real error strings with its default patterns and fallback, for
the kinds of error the defaults used to get wrong: async HTTP client connection errors, gRPC
UNAVAILABLE, task-queue time limits, array allocation failures, workers killed by signal 9, and
TLS certificate verification (a network failure, not an auth one)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from services.analyzer.core import Analyzer
from services.analyzer.patterns_file import load_patterns
from shared.config import load_settings
from shared.events import RawErrorData
from shared.fingerprint import fingerprint

REPO = Path(__file__).resolve().parents[2]

CASES: dict[str, list[tuple[str, str]]] = {
    "async HTTP client connection errors": [
        (
            "network",
            "aiohttp.client_exceptions.ClientConnectorError: Cannot connect to host "
            "pricing.internal:8443 ssl:default [Connect call failed ('10.6.2.17', 8443)]",
        ),
        ("network", "aiohttp.client_exceptions.ServerDisconnectedError: Server disconnected"),
        ("network", "httpx.ConnectError: All connection attempts failed"),
        ("network", "httpx.RemoteProtocolError: Server disconnected without sending a response."),
        ("network", "TypeError: fetch failed"),
        # A timeout stays a timeout, and a database stays a database.
        (
            "timeout",
            "aiohttp.client_exceptions.ConnectionTimeoutError: Connection timeout to host "
            "http://pricing.internal:8443/v1/quote",
        ),
        (
            "database",
            "aiohttp.client_exceptions.ClientConnectorError: Cannot connect to host "
            "redis-cache:6379 ssl:default [Connection refused]",
        ),
    ],
    "gRPC UNAVAILABLE": [
        (
            "network",
            "grpc._channel._InactiveRpcError: <_InactiveRpcError of RPC that terminated with:\n"
            "\tstatus = StatusCode.UNAVAILABLE\n"
            '\tdetails = "failed to connect to all addresses"\n>',
        ),
        (
            "network",
            'rpc error: code = Unavailable desc = connection error: desc = "transport: Error while '
            'dialing: dial tcp 10.8.3.3:50051: connect: connection refused"',
        ),
        ("network", "rpc error: code = Unavailable desc = transport is closing"),
        ("network", "io.grpc.StatusRuntimeException: UNAVAILABLE: io exception"),
        ("network", "Error: 14 UNAVAILABLE: No connection established"),
    ],
    "task-queue time limits": [
        (
            "timeout",
            "Soft time limit (300s) exceeded for reports.tasks.nightly_rollup"
            "[8c0e5a1d-2b3f-4c6d-9e7a-1f2b3c4d5e6f]",
        ),
        ("timeout", "celery.exceptions.SoftTimeLimitExceeded: SoftTimeLimitExceeded()"),
        (
            "timeout",
            "Hard time limit (360s) exceeded for reports.tasks.nightly_rollup"
            "[8c0e5a1d-2b3f-4c6d-9e7a-1f2b3c4d5e6f]",
        ),
        (
            "timeout",
            "rq.timeouts.JobTimeoutException: Task exceeded maximum timeout value (180 seconds)",
        ),
    ],
    "array allocation failures": [
        (
            "memory",
            "numpy.core._exceptions._ArrayMemoryError: Unable to allocate 7.91 GiB for an array "
            "with shape (1396913, 190, 4) and data type float64",
        ),
        ("memory", "java.lang.OutOfMemoryError: Requested array size exceeds VM limit"),
        ("memory", "RangeError: Array buffer allocation failed"),
        (
            "memory",
            "RuntimeError: [enforce fail at alloc_cpu.cpp:117] data. DefaultCPUAllocator: not "
            "enough memory: you tried to allocate 911360 bytes.",
        ),
        # An invalid length is a bug, not a lack of memory.
        ("code", "RangeError: Invalid array length"),
    ],
    "workers killed by signal 9": [
        (
            "memory",
            "[2022-11-08 10:22:12,972: ERROR/MainProcess] Process 'ForkPoolWorker-4' pid:19 "
            "exited with 'signal 9 (SIGKILL)'",
        ),
        (
            "memory",
            "billiard.exceptions.WorkerLostError: Worker exited prematurely: signal 9 (SIGKILL) "
            "Job: 10.",
        ),
        (
            "memory",
            "[2024-11-05 09:26:00 +0000] [16] [ERROR] Worker (pid:17) was sent SIGKILL! Perhaps "
            "out of memory?",
        ),
        ("memory", "DAMN ! worker 1 (pid: 3076) died, killed by signal 9 :( trying respawn ..."),
        ("memory", "System OOM encountered, victim process: nginx, pid: 9295"),
    ],
    "TLS certificate verification": [
        (
            "network",
            "ssl.SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify "
            "failed: unable to get local issuer certificate (_ssl.c:997)",
        ),
        (
            "network",
            "javax.net.ssl.SSLHandshakeException: PKIX path building failed: "
            "sun.security.provider.certpath.SunCertPathBuilderException: unable to find valid "
            "certification path to requested target",
        ),
        ("network", "Error: unable to verify the first certificate"),
        (
            "network",
            'Get "https://ledger.internal/v1/entries": tls: failed to verify certificate: x509: '
            "certificate signed by unknown authority",
        ),
        # Credentials that are refused are still auth.
        (
            "auth",
            "requests.exceptions.HTTPError: 401 Client Error: Unauthorized for url: "
            "https://ledger.internal/v1/entries",
        ),
    ],
}


@cache
def _analyzer() -> Analyzer:
    return Analyzer(
        settings=load_settings(REPO / "config"),
        patterns=load_patterns(REPO / "config" / "error_patterns.json"),
    )


@pytest.mark.parametrize(
    ("cluster", "category", "text"),
    [(cluster, category, text) for cluster, cases in CASES.items() for category, text in cases],
)
def test_default_category(cluster: str, category: str, text: str) -> None:
    error = RawErrorData(
        fingerprint=fingerprint(kind="message", parts=["svc", text]),
        origin="custom",
        title=text,
        severity="high",
        service="svc",
    )
    match = _analyzer().categorise(error)
    assert match.category == category, f"{cluster}: {match.rule} gave {match.category}: {text!r}"
