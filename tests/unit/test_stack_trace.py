"""An error's text without its stack trace: what the fingerprint hashes and mining reads."""

from __future__ import annotations

import pytest

from services.analyzer.templates import TemplateMiner, mining_text
from shared.fingerprint import fingerprint
from shared.long_text import keep_ends
from shared.stack_trace import error_text

PYTHON = """Traceback (most recent call last):
  File "/app/worker.py", line 42, in run
    settle(job)
  File "/app/jobs.py", line 10, in settle
    raise ValueError(f"bad payload for {job.id}")
    ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
ValueError: bad payload for 4412"""

PYTHON_FRAMES = "".join(
    f'  File "/app/m{i}.py", line {i}, in f{i}\n    f{i}()\n' for i in range(50)
)

PYTHON_CHAINED = """Traceback (most recent call last):
  File "/app/cache.py", line 8, in get
    return self.items[key]
KeyError: 'user_id'

During handling of the above exception, another exception occurred:

Traceback (most recent call last):
  File "/app/views.py", line 20, in profile
    user = cache.get("user_id")
LookupError: no user in session"""

PYTHON_LOGGED = """ERROR:orders:Failed to settle order 4412
Traceback (most recent call last):
  File "/app/jobs.py", line 10, in settle
    raise ValueError("bad payload")
ValueError: bad payload"""

PYTHON_MESSAGE_LINES = """Traceback (most recent call last):
  File "/app/orders.py", line 12, in create
    order = Order(**payload)
pydantic_core._pydantic_core.ValidationError: 2 validation errors for Order
total
  Field required [type=missing, input_value={}, input_type=dict]
currency
  Input should be 'EUR' or 'USD' [type=literal_error, input_value='GBP', input_type=str]"""

JAVA = """java.lang.IllegalStateException: Pool exhausted after 30000 ms
\tat com.zaxxer.hikari.pool.HikariPool.getConnection(HikariPool.java:197)
\tat com.example.orders.Repo.save(Repo.java:42)
Caused by: java.net.ConnectException: Connection refused
\tat java.base/sun.nio.ch.Net.connect0(Native Method)
\t... 12 more"""

DOTNET = """System.TimeoutException: The operation has timed out.
   at Orders.Api.Payments.Charge() in /src/Payments.cs:line 88
--- End of stack trace from previous location ---
   at Orders.Api.Controllers.Checkout.Post() in /src/Checkout.cs:line 31"""

NODE = """TypeError: Cannot read properties of undefined (reading 'total')
    at checkout (/app/src/cart.js:14:22)
    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)"""

NODE_UNCAUGHT = """/app/src/cart.js:14
    const total = cart.items.reduce((sum, item) => sum + item.price, 0);
                             ^

TypeError: Cannot read properties of undefined (reading 'reduce')
    at checkout (/app/src/cart.js:14:30)
    at Object.<anonymous> (/app/src/index.js:3:1)

Node.js v18.17.0"""

RUBY = """app/models/order.rb:12:in `total': undefined method `price' for nil (NoMethodError)
\tfrom app/controllers/orders_controller.rb:5:in `show'
\tfrom bin/rails:4:in `<main>'"""

GO = """panic: runtime error: index out of range [5] with length 3

goroutine 1 [running]:
main.settle(...)
\t/app/main.go:12 +0x1d
main.main()
\t/app/main.go:20 +0x45
exit status 2"""

PHP = """PHP Fatal error:  Uncaught Error: Call to a member function save() on null in /a.php:12
Stack trace:
#0 /var/www/index.php(4): settle()
#1 {main}
  thrown in /var/www/app.php on line 12"""

RUST = """thread 'main' panicked at src/db.rs:42:5:
connection refused
stack backtrace:
   0: rust_begin_unwind
             at /rustc/abc/library/std/src/panicking.rs:645:5
   1: app::db::connect"""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (PYTHON, "ValueError: bad payload for 4412"),
        (
            PYTHON_CHAINED,
            "LookupError: no user in session\nKeyError: 'user_id'\n"
            "During handling of the above exception, another exception occurred:",
        ),
        (PYTHON_LOGGED, "ERROR:orders:Failed to settle order 4412\nValueError: bad payload"),
        (
            PYTHON_MESSAGE_LINES,
            "pydantic_core._pydantic_core.ValidationError: 2 validation errors for Order\n"
            "total\ncurrency",
        ),
        (
            JAVA,
            "java.lang.IllegalStateException: Pool exhausted after 30000 ms\n"
            "Caused by: java.net.ConnectException: Connection refused",
        ),
        (DOTNET, "System.TimeoutException: The operation has timed out."),
        (NODE, "TypeError: Cannot read properties of undefined (reading 'total')"),
        (NODE_UNCAUGHT, "TypeError: Cannot read properties of undefined (reading 'reduce')"),
        (RUBY, RUBY.splitlines()[0]),
        (GO, "panic: runtime error: index out of range [5] with length 3"),
        (PHP, PHP.splitlines()[0]),
        (RUST, "thread 'main' panicked at src/db.rs:42:5:\nconnection refused"),
    ],
)
def test_a_trace_leaves_the_lines_that_say_what_went_wrong(text: str, expected: str) -> None:
    assert error_text(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Failed to connect to database orders-db after 3 attempts",
        "   at capacity: 3 of 3 replicas busy",  # a first line is never a frame
        "disk full on the backup volume\nretrying in a minute",
        "Check failed\n  service: billing\n  at: 08:15",  # indented, but no trace
        "Failed to load users\n  from the replica db-2\n  at least twice",
        "\n\n",
        "config.yaml:14\n    unknown key: retries",  # a location, but no caret under it
        'Traceback (most recent call last):\n  File "/app/a.py", line 3, in run',  # cut short
    ],
)
def test_text_without_a_trace_is_left_as_it_is(text: str) -> None:
    assert error_text(text) is text


@pytest.mark.parametrize("limit", range(940, 1000, 3))
def test_a_cut_traceback_is_its_exception_wherever_the_cut_falls(limit: int) -> None:
    # keep_ends cuts inside a line: what is left of it after the marker goes with the marker.
    text = f"Traceback (most recent call last):\n{PYTHON_FRAMES}ValueError: bad payload"
    cut = keep_ends(text, limit)
    assert "characters cut" in cut
    assert error_text(cut) == "ValueError: bad payload"


def test_an_exception_longer_than_the_tail_kept_is_still_what_names_the_error() -> None:
    message = "ValueError: " + "bad payload " * 60
    cut = keep_ends(f"Traceback (most recent call last):\n{PYTHON_FRAMES}{message}", 600)
    assert error_text(cut) == cut.splitlines()[-1]
    assert error_text(cut).endswith("bad payload ")


def test_one_error_along_two_call_paths_is_one_fingerprint_and_one_pattern() -> None:
    other_path = PYTHON.replace("worker.py", "api.py").replace("in run", "in post")
    save = "\tat com.example.orders.Repo.save(Repo.java:42)"
    deeper = JAVA.replace(save, f"\tat com.example.orders.Api.post(Api.java:9)\n{save}")
    for one, other in ((PYTHON, other_path), (JAVA, deeper)):
        assert fingerprint(kind="message", parts=["orders", one]) == fingerprint(
            kind="message", parts=["orders", other]
        )
        miner = TemplateMiner()
        assert miner.add(one).pattern_id == miner.add(other).pattern_id


def test_traces_of_different_errors_that_begin_alike_are_different_patterns() -> None:
    # Every Python traceback begins with one line, and Node's report with where it was thrown.
    other_node = NODE_UNCAUGHT.replace(
        "TypeError: Cannot read properties of undefined (reading 'reduce')",
        "RangeError: Maximum call stack size exceeded",
    )
    miner = TemplateMiner()
    ids = {miner.add(text).pattern_id for text in (PYTHON, PYTHON_CHAINED)}
    assert len(ids) == 2
    assert miner.add(NODE_UNCAUGHT).pattern_id != miner.add(other_node).pattern_id
    assert mining_text(PYTHON) == "ValueError: bad payload for <*>"
    assert mining_text(PYTHON_CHAINED) == "LookupError: no user in session"
