"""The text of a structured log line: what a JSON logger (zap, pino, bunyan, logrus, structlog,
Serilog, ECS, Cloud Logging) or shipper (NXLog, GELF) wrote as the message and the error, instead
of the whole document.

A line that is one JSON object is read for its message (``msg``, ``message``, ``@message``,
NXLog's ``Message``, GELF's ``short_message``, ``log``, ``textPayload``, or ``message`` inside
``jsonPayload``) and its error (``error``, ``err``, ``exception``, ``error.message``; of a nested
error, its ``message`` or ``msg``, after its ``type`` or ``kind`` when it has one), joined by
`` | ``. Every other field (times, levels, callers, hosts, ids) is left out: it is not what the
problem is. A line that is no JSON object, or an object with neither, is answered unchanged.
A logfmt line (``time=… level=error msg="…" err="…"``) is read the same way
(:func:`logfmt_message`).

An object inside a line, in JSON or as a Python dict's ``repr`` (Ansible's ``FAILED! =>
{"changed": false, "msg": "…"}``, an API's error body after ``responded 404:``), is read the
same way (:func:`embedded_messages`): one that holds a message or an error stands for them (an
error alone after `` | ``, as a JSON line's reads). One that holds neither and is all the line
says (alone, or after a header or a runner's prefix: an access log's JSON line, Echo's
``{"time":…,"remote_ip":…,"method":…}``) stands for its keys, so such lines are told apart by
the fields they carry rather than all read as one document; any other (a logger's fields after
a message) stays as written. An error under ``errors`` as a list (an API's ``{"errors":
[{"code": …, "message": …}]}``) is its first item's.
"""

from __future__ import annotations

import ast
import json
import re
from typing import Any, Final

#: Longer lines are not parsed (what is read of them is cut anyway).
MAX_PARSED: Final = 65_536
#: The keys a message and an error are read under (also by the fingerprint, in logfmt lines).
MESSAGE_KEYS: Final = (
    "msg",
    "message",
    "@message",
    "Message",
    "short_message",
    "log",
    "textPayload",
)
ERROR_KEYS: Final = ("error", "err", "exception", "error.message")
#: A list of errors a JSON document may carry instead (an API's ``{"errors": [{"code": …,
#: "message": …}]}``): its first one is the error.
_ERROR_LIST: Final = "errors"
_NESTED_TEXT: Final = ("message", "msg")
_NESTED_KIND: Final = ("type", "kind", "name")


def _text(value: Any) -> str:
    """A field's text: a string as it is; of an object (a nested error), its kind and message."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, dict):
        text = next((_text(value[k]) for k in _NESTED_TEXT if isinstance(value.get(k), str)), "")
        kind = next((value[k] for k in _NESTED_KIND if isinstance(value.get(k), str)), "")
        return f"{kind}: {text}" if kind and text else text or kind
    return ""


def _first(document: dict[str, Any], keys: tuple[str, ...]) -> str:
    return next((text for key in keys if key in document and (text := _text(document[key]))), "")


#: What stands between a message and its error, and before an error read after a message.
JOINER: Final = " | "


def _message_and_error(document: dict[str, Any]) -> tuple[str, str]:
    """The message and the error of ``document`` (``""`` for either it does not hold)."""
    payload = document.get("jsonPayload")
    message = _first(document, MESSAGE_KEYS) or (
        _first(payload, MESSAGE_KEYS) if isinstance(payload, dict) else ""
    )
    error = _first(document, ERROR_KEYS)
    listed = document.get(_ERROR_LIST)
    if not error and isinstance(listed, list) and listed:
        error = _text(listed[0])
    return message, error


def message_of(line: str) -> str:
    """The message and the error of ``line`` when it is a JSON object holding either; else
    ``line`` itself."""
    if len(line) > MAX_PARSED:  # before any copy of a line too long to parse
        return line
    stripped = line.strip()
    if not (stripped.startswith("{") and stripped.endswith("}")):
        return line
    try:
        document = json.loads(stripped)
    except (ValueError, RecursionError):  # not JSON, or nested deeper than a parser goes
        return line
    if not isinstance(document, dict):
        return line
    return JOINER.join(part for part in _message_and_error(document) if part) or line


#: Where an object may open inside a line: a brace before a quoted key.
_OPENING: Final = re.compile(r"""\{\s*["']""")
#: At most this many objects are tried in one line, each of at most this many characters.
MAX_EMBEDDED: Final = 4
MAX_OBJECT: Final = 4096
#: A brace, or a quoted string (in double or single quotes, backslash escapes inside).
_BRACE_OR_QUOTED: Final = re.compile(r"""[{}]|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'""")


def _object_end(text: str, start: int) -> int:
    """The index after the brace that closes the one at ``start`` (braces inside quotes are
    text), or -1 when none does within :data:`MAX_OBJECT` characters."""
    depth = 0
    for token in _BRACE_OR_QUOTED.finditer(text, start, start + MAX_OBJECT):
        brace = token.group()
        if brace == "{":
            depth += 1
        elif brace == "}":
            depth -= 1
            if depth == 0:
                return token.end()
    return -1


def _literal(text: str) -> Any:
    """``text`` read as JSON, or as a Python literal (a dict's ``repr``, as Python clients print
    an API's error body: ``{'code': 'PGRST205', 'message': "…"}``); ``None`` when it is neither."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        pass
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None


def _said(document: dict[str, Any]) -> str:
    """What an object inside a line says: its message and its error as a whole line's are
    joined, an error alone after the joiner, so that zap's console line (``failed to connect
    {"error": "…"}``) reads as its JSON line does (``failed to connect | …``)."""
    message, error = _message_and_error(document)
    if not message:
        return JOINER.lstrip() + error if error else ""
    return JOINER.join(part for part in (message, error) if part)


def _whole(text: str, start: int, end: int) -> bool:
    """The object at ``text[start:end]`` is what the line says: it ends the line, after nothing
    or after what a header or a runner ends with (``prog[812]: ``, ``api-1  | ``)."""
    before = text[:start].rstrip(" ")
    return not text[end:].strip() and (not before or before.endswith((":", "|")))


def embedded_messages(text: str) -> str:
    """``text`` with each object inside it (JSON, or a Python dict's ``repr``) that holds a
    message or an error replaced by them (as :func:`message_of` reads a whole line), and one
    with neither that is all the line says (:func:`_whole`) by its keys; other objects with
    neither, and braces that open no object, stay as written. Only text of at most
    :data:`MAX_PARSED` characters is read."""
    if len(text) > MAX_PARSED or ("'" not in text and '"' not in text):
        return text
    out: list[str] = []
    at = tried = 0
    while tried < MAX_EMBEDDED and (opening := _OPENING.search(text, at)):
        tried += 1
        end = _object_end(text, opening.start())
        if end < 0:
            break
        document = _literal(text[opening.start() : end])
        said = _said(document) if isinstance(document, dict) else ""
        if not said and isinstance(document, dict) and _whole(text, opening.start(), end):
            said = " ".join(document)
        out.append(text[at : opening.start()] + (said or text[opening.start() : end]))
        at = end
    return "".join(out) + text[at:]


#: One logfmt pair (a key, ``=``, and a double-quoted value or a bare one: no quote in it, not
#: opening with ``'`` nor ending with ``,``, such pairs being some other layout's), or any other
#: token; read left to right, each once.
_TOKEN: Final = re.compile(
    r'(?P<key>[A-Za-z_][\w.@/-]*)=(?P<value>"(?:[^"\\\n]|\\.)*"|(?:[^\s"\',]|,(?!\s|$))*)'
    r'(?=\s|$)|"(?:[^"\\\n]|\\.)*"|\S+'
)
#: A logfmt line ends in at least this many pairs.
_MIN_PAIRS: Final = 3


def _unquoted(value: str) -> str:
    """A pair's value: a quoted one read as a string literal (:func:`_literal`), its quotes
    dropped if it reads as none; a bare one as it is."""
    if not value.startswith('"'):
        return value
    text = _literal(value)
    return text if isinstance(text, str) else value[1:-1]


def logfmt_message(text: str) -> str:
    """The message and the error of a logfmt line (logrus's text lines, Go kit's, a Prometheus
    exporter's: ``time=… level=error msg="Probe failed" duration_seconds=0.4``), as a JSON
    line's are read, when the line ends in a run of at least :data:`_MIN_PAIRS` pairs, one of
    them a message, each key once; what comes before the run (a syslog header, a runner's
    prefix) goes with the other pairs. Any other ``text`` is answered unchanged. Read in one
    pass, in time linear in the line."""
    if len(text) > MAX_PARSED or not any(key + "=" in text for key in MESSAGE_KEYS):
        return text
    run: list[tuple[str, str]] = []
    for token in _TOKEN.finditer(text):
        if token.group("key") is None:
            run.clear()
        else:
            run.append((token.group("key"), token.group("value")))
    document = {key: _unquoted(value) for key, value in run}
    if len(run) < _MIN_PAIRS or len(document) < len(run):
        return text
    message, error = _message_and_error(document)
    return JOINER.join(part for part in (message, error) if part) if message else text
