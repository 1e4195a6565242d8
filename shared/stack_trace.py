"""What an error's text says, its stack trace left out: the line that names the error, then the
rest of what the program wrote about it, without frames or a runtime's trace scaffolding.

A stack trace tells where an error was raised, not what it is: the same error raised along two
call paths has two traces, and every Python traceback begins with the same line. So the
fingerprint hashes, and template mining reads, the text :func:`error_text` leaves, not the
trace. Frames are recognised by their runtime's layout, on any line but the first:

- JVM languages, .NET and JavaScript: ``\\tat com.example.Pool.get(Pool.java:42)``,
  ``   at Orders.Api.Post() in /src/Api.cs:line 10``, ``    at Object.<anonymous> (/app/x.js:3:7)``,
  and the JVM's ``\\t... 12 more``; .NET's ``--- End of stack trace from previous location ---``;
- Ruby: ``\\tfrom app.rb:5:in `<main>'``;
- Python: a traceback's ``Traceback (most recent call last):`` line and every indented line
  after it (``  File "...", line 3, in run``, the source line, the ``^^^^`` under it); when
  the text begins with a traceback, the line that names the error is the first after the
  last traceback's frames (the exception raised, after any it was raised while handling; an
  exception's message may run on over more lines);
- Node, reporting an error nothing caught, writes where it was thrown, the source line and a
  caret under it before the error, and its version (``Node.js v18.17.0``) last;
- Go, PHP and Rust write the trace after a line of its own (``goroutine 1 [running]:``,
  ``Stack trace:``, ``stack backtrace:``): that line and all after it.

The line :func:`shared.long_text.keep_ends` puts where it cuts an over-long text goes too, and
the part of a line after it (but the text's last line, which may be the error's own). Text
without a trace or a cut comes back as it is.
"""

from __future__ import annotations

import re
from typing import Final

from shared.long_text import MARKER_LINE

PYTHON_TRACEBACK: Final = "Traceback (most recent call last):"
#: A frame of a JVM language, .NET or JavaScript (``at``, ending in its bracket or a line
#: number) or Ruby (``from file:line:in``), the JVM's count of frames left out, or the version
#: Node writes last.
_FRAME: Final = re.compile(
    r"\s+at \S.*(?:\)|:\d+|:line \d+)\s*$"
    r"|\s+from \S+:\d+:in "
    r"|\s*\.\.\. \d+ (?:more|common frames omitted)\s*$"
    r"|\s*--- End of (?:inner exception )?stack trace"
    r"|Node\.js v\d+(?:\.\d+)*\s*$"
)
#: A frame of a Python traceback.
_PYTHON_FRAME: Final = re.compile(r'\s+File "')
#: Node's report of an uncaught error begins with where it was thrown (``/app/cart.js:14``),
#: the source line and a caret under it (within these many lines).
_NODE_LOCATION: Final = re.compile(r"\S+:\d+\s*$")
_NODE_CARET: Final = re.compile(r"\s*\^+\s*$")
_NODE_CARET_WITHIN: Final = 4
#: The line a runtime writes before its trace (Go's goroutine, PHP's, Rust's backtrace).
_TRACE_START: Final = re.compile(
    r"goroutine \d+ \[[^\]]*\]:\s*$|(?:PHP )?Stack trace:\s*$|stack backtrace:\s*$"
)


def error_text(text: str) -> str:
    """``text`` without its stack trace (see the module's docstring), the line that names the
    error first; ``text`` itself when it holds no trace."""
    if "\n" not in text:
        return text
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return text
    start = _after_node_source(lines)
    kept: list[str] = []
    python = frames = False
    raised = -1  # in ``kept``: the exception a Python traceback ends with, the last one's
    for at, line in enumerate(lines[start:], start):
        if at and _TRACE_START.match(line):
            break
        indented = line[:1].isspace()
        if line.strip() == PYTHON_TRACEBACK:
            python = True
        elif python and indented:
            frames = frames or _PYTHON_FRAME.match(line) is not None
        elif not (
            MARKER_LINE.fullmatch(line)
            or (0 < at < len(lines) - 1 and MARKER_LINE.fullmatch(lines[at - 1]))
            or (at and _FRAME.match(line))
        ):
            if frames:
                raised, frames = len(kept), False  # the first line after a traceback's frames
            kept.append(line)
    if not kept or len(kept) == len(lines):
        return text
    if lines[0].strip() == PYTHON_TRACEBACK:
        kept.insert(0, kept.pop(raised))  # the exception raised, after its frames
    return "\n".join(kept)


def _after_node_source(lines: list[str]) -> int:
    """Where the error begins in ``lines``: after Node's location, source line and caret when
    they come first, else at the first line."""
    if not _NODE_LOCATION.match(lines[0]):
        return 0
    for at, line in enumerate(lines[1:_NODE_CARET_WITHIN], 1):
        if _NODE_CARET.match(line):
            return at + 1 if at + 1 < len(lines) else 0
    return 0
