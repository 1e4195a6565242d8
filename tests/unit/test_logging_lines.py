"""Every log line is one whole JSON document, even when threads log at once."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap


def test_structlog_and_stdlib_lines_never_share_a_line() -> None:
    # A child process so the logging set-up (process-global) cannot leak into other tests,
    # and stderr is a pipe (not a TTY), as under a supervisor or a container runtime.
    script = textwrap.dedent(
        """
        import logging, threading, structlog
        from shared.logging import configure_logging

        configure_logging("INFO")
        log, std = structlog.get_logger(), logging.getLogger("uvicorn.error")

        def speak(n):
            for i in range(2000):
                log.info("structlog line", n=n, i=i) if i % 2 else std.info("stdlib line %d", i)

        threads = [threading.Thread(target=speak, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    )
    lines = result.stderr.splitlines()
    assert len(lines) == 4 * 2000
    events = [json.loads(line)["event"] for line in lines]
    assert events.count("structlog line") == 4 * 1000


def test_an_address_requested_over_http_never_reaches_the_log() -> None:
    """httpx logs each request's URL at INFO; a webhook URL or a private calendar feed is a
    secret."""
    script = textwrap.dedent(
        """
        import http.server, threading, httpx, structlog
        from shared.logging import configure_logging

        class Quiet(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):  # the server's own access log is not ours
                pass

        server = http.server.HTTPServer(("127.0.0.1", 0), Quiet)
        threading.Thread(target=server.handle_request, daemon=True).start()
        configure_logging("DEBUG")
        structlog.get_logger().info("started")
        httpx.get(f"http://127.0.0.1:{server.server_port}/hooks/T000/SECRET-PATH", timeout=5)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert "started" in result.stderr
    assert "SECRET-PATH" not in result.stderr
