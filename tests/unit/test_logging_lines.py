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
