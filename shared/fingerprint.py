"""One function decides what "the same problem" is: the fingerprint.

The fingerprint is the Kafka key of ``errors.raw`` onward, the unit of per-problem state and
the Slack thread. It is the source's own grouping when there is one (a Sentry issue id, an SDK
``fingerprint``, an Alertmanager fingerprint, a sender's ``dedup_key``); otherwise a hash of the
title after deterministic parameterisation, reduced to its shape (its words, and one value for
each run of anything else). For a given input it changes only in a release that
says so (docs/analyzer.md, "Upgrading to ..."): every problem it keys starts again.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Final, Literal

from shared.stack_trace import error_text
from shared.structured_log import (
    ERROR_KEYS,
    JOINER,
    MESSAGE_KEYS,
    embedded_messages,
    logfmt_message,
    message_of,
)

GroupingKind = Literal["sentry_issue", "sdk", "alertmanager", "dedup_key", "message"]

_MAX_TEXT: Final = 2048

#: A masked value of any kind (``<ip>``, ``<num>``): to the fingerprint, an address where a host
#: name was, or a number where a quoted key was, is the same problem; to the template miner, the
#: same shape. Only the masks' own names: ``vector<int>`` in a message is no masked value.
MASKED_VALUE: Final = re.compile(
    r"<(?:ctx|dev|doc|email|hex|host|id|ip|mac|method|name|num|path|str|ts|url|uuid|value)>"
)
_MASKED: Final = MASKED_VALUE.pattern
#: The methods of an HTTP request: a request's method is a value, masked as ``<method>`` where it
#: opens a request line, and a word that may vary to the template miner.
HTTP_METHODS: Final = (
    "GET",
    "HEAD",
    "POST",
    "PUT",
    "PATCH",
    "DELETE",
    "OPTIONS",
    "CONNECT",
    "TRACE",
)

#: The kinds of things a message names by kind and name ("container api-7", "index EMAIL_IX"):
#: the name after one is a value where it reads as a name. Each a word of 2 to 12 letters. Not
#: ``client`` nor ``package``: the public benchmark's labels keep ``by client SPP`` and ``by client
#: WindowsUpdateAgent`` apart, as they keep Windows servicing packages apart.
NAMED_KINDS: Final = (
    "account",
    "app",
    "application",
    "argument",
    "attribute",
    "bean",
    "branch",
    "bucket",
    "channel",
    "chunk",
    "class",
    "cluster",
    "collection",
    "column",
    "configmap",
    "constraint",
    "consumer",
    "container",
    "cookie",
    "cronjob",
    "daemonset",
    "database",
    "deployment",
    "directory",
    "driver",
    "endpoint",
    "extension",
    "field",
    "file",
    "function",
    "group",
    "header",
    "host",
    "image",
    "index",
    "ingress",
    "interface",
    "job",
    "key",
    "master",
    "method",
    "module",
    "mount",
    "namespace",
    "node",
    "parameter",
    "partition",
    "plugin",
    "pod",
    "pool",
    "program",
    "project",
    "property",
    "queue",
    "realm",
    "region",
    "relation",
    "replica",
    "replicaset",
    "repository",
    "role",
    "schema",
    "scheduler",
    "scope",
    "secret",
    "server",
    "service",
    "shard",
    "slice",
    "socket",
    "statefulset",
    "stream",
    "table",
    "tablespace",
    "taskqueue",
    "tenant",
    "timer",
    "topic",
    "unit",
    "variable",
    "volume",
    "zone",
)
_NAMED_KINDS: Final = frozenset(NAMED_KINDS)

#: Words that go on a phrase after a kind rather than name one ("index out of range", "node
#: was low", "key error", "file not found", "table is full").
_PHRASE_TEXT: Final = """
    a all an and any are as at be been by can cannot could does did do error errors exists
    failed for from has had have in into is it may missing must no none not of on or out should
    that the this to too was were will with would"""
_PHRASE_WORDS: Final = frozenset(_PHRASE_TEXT.split())


def _kind_name(match: re.Match[str]) -> str:
    """A name after its kind (the pattern above) is a value, if the word before it names a
    kind and, for a plain word, the word is no word of a phrase."""
    kind, bracket, plain = match.group(1), match.group(2), match.group(3)
    if kind.rstrip(": ").lower() not in _NAMED_KINDS or plain in _PHRASE_WORDS:
        return match.group()
    return kind + ("[<name>]" if bracket else "<name>")


# Order matters: the wider shapes (timestamps, URLs, e-mails) are masked before their parts.
_MONTH: Final = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
# A date with a month name and a time: syslog's "Jun  9 08:31:40", ctime's
# "Mon Jun 12 08:31:40 2024".
_MONTH_DATE: Final = (
    rf"(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun),? )?{_MONTH} +\d{{1,2}},?(?: \d{{4}})? "
    r"\d{2}:\d{2}:\d{2}(?:[.,]\d{1,9})?"
)
# A time zone named after a time ("… 01:00:41.002 CEST [1187] …"): part of the time.
_ZONE: Final = r"(?: (?:UTC|GMT|CES?T|EES?T|WES?T|BST|IST|MSK|[ECMP][SD]T|AE[SD]T|JST)\b)?"
_Replacement = str | Callable[[re.Match[str]], str]


@dataclass(frozen=True, slots=True)
class _Where:
    """A pattern tried only on text that holds one of ``needles``: a substring check is far
    quicker than a pattern's scan of a text it cannot match."""

    needles: tuple[str, ...]
    pattern: re.Pattern[str]

    def sub(self, replacement: _Replacement, text: str) -> str:
        for needle in self.needles:
            if needle in text:
                return self.pattern.sub(replacement, text)
        return text


@dataclass(frozen=True, slots=True)
class _WhereFound:
    """A pattern tried only on text in which ``test``, a short pattern, is found. The test
    either only saves time (it is found in every text the pattern changes) or, when it
    ``narrows`` the mask, is part of what the mask means (:func:`_when`)."""

    test: re.Pattern[str]
    pattern: re.Pattern[str]
    narrows: bool = False

    def sub(self, replacement: _Replacement, text: str) -> str:
        return self.pattern.sub(replacement, text) if self.test.search(text) else text


@dataclass(frozen=True, slots=True)
class _AtStart:
    """A pattern anchored at the text's start (``^``), tried where it matches there: a match
    at one place is quicker than a scan that tries the anchor at every place."""

    pattern: re.Pattern[str]

    def sub(self, replacement: _Replacement, text: str) -> str:
        return self.pattern.sub(replacement, text) if self.pattern.match(text) else text


_Masker = re.Pattern[str] | _Where | _WhereFound | _AtStart


#: A clock's digits (``08:15``): what a time needs, found far quicker than a time's pattern.
_CLOCK: Final = re.compile(r"\d:\d")
_CLOCK_OR_SECONDS: Final = re.compile(r"\d:\d|<\d")

_CLOSERS: Final = {")": "(", "]": "[", "}": "{"}


def _url(match: re.Match[str]) -> str:
    """``<url>`` for a URL, and what came after it: the punctuation that ends a sentence or a
    clause, and closing brackets the URL did not open."""
    url = match.group()
    end = len(url)
    while end:
        last = url[end - 1]
        opener = _CLOSERS.get(last)
        if last in ".,;:!?" or (opener and url.count(opener, 0, end) < url.count(last, 0, end)):
            end -= 1
            continue
        break
    return "<url>" + url[end:]


_ESCAPED: Final = re.compile(r"\\([\\\"ntr])")


def _unescaped(match: re.Match[str]) -> str:
    """A character a quoted value escaped, as written: a line break or a tab as a space."""
    escaped = match.group(1)
    return escaped if escaped in '\\"' else " "


def _structured_text(match: re.Match[str]) -> str:
    """A structured line's message or error as text, as a JSON line's are read: the message as
    it is, the error after ``| ``, a reason after its key; the quotes and backslashes the value
    escaped as written (a quoted name inside an error reads as a quoted value)."""
    colon, key = match.group(1) or "", match.group(2)
    text = _ESCAPED.sub(_unescaped, match.group(3))
    if key in ERROR_KEYS:
        # hclog writes a message, ": ", then its pairs; its JSON line has the message alone.
        return (JOINER if colon else JOINER.lstrip()) + text
    return colon + (text if key in MESSAGE_KEYS else key + ": " + text)


def _where(needle: str | tuple[str, ...] | re.Pattern[str], pattern: str) -> _Where | _WhereFound:
    """``pattern``, tried only on text that holds ``needle`` (one of them, or a match of it)."""
    if isinstance(needle, re.Pattern):
        return _WhereFound(needle, re.compile(pattern))
    return _Where((needle,) if isinstance(needle, str) else needle, re.compile(pattern))


def _when(condition: str, pattern: str) -> _WhereFound:
    """``pattern``, applied only to text in which ``condition`` is found, though it would change
    other text too (a value of a ``key = value`` pair in a line of two such pairs or more)."""
    return _WhereFound(re.compile(condition), re.compile(pattern), narrows=True)


def _at_start(pattern: str) -> _AtStart:
    """``pattern``, which must match at the text's start (all of it after a leading ``^``)."""
    if not pattern.startswith("^"):
        raise ValueError(f"not anchored at the start: {pattern!r}")
    return _AtStart(re.compile(pattern))


#: How the name of an exception's class ends (the template miner's too).
_EXCEPTION_SUFFIXES: Final = (
    "Exception",
    "Error",
    "Fault",
    "Failure",
    "Throwable",
    "Warning",
    "Exit",
    "Interrupt",
    "Timeout",
    "Panic",
)
EXCEPTION_SUFFIX: Final = "(?:" + "|".join(_EXCEPTION_SUFFIXES) + ")"
#: A log level as loggers write it in capitals (zap's DPANIC too, and WARNI: Python logging's
#: level cut to five letters, "%(levelname)-5.5s", as Pyramid's and Waitress's layouts write it).
_LEVEL: Final = (
    r"(?:TRACE|DEBUG|INFO|NOTICE|LOG|WARN|WARNI|WARNING|ERROR|ERR|SEVERE|CRITICAL|CRIT|FATAL"
    r"|DPANIC|PANIC|EMERG)"
)
#: Python logging's levels (its default layout's "ERROR:app.db:", Flask's "ERROR in app: ").
_PYTHON_LEVELS: Final = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_PYTHON_LEVEL: Final = "(?:" + "|".join(_PYTHON_LEVELS) + ")"
#: NLog's levels as .NET programs write them (Sonarr's and Radarr's "|Warn|", "[Info] ").
_NLOG_LEVEL: Final = r"(?:Trace|Debug|Info|Warn|Error|Fatal)"
#: The reason phrases of HTTP's status codes (RFC 9110), as written and in capitals.
_PHRASES: Final = sorted(
    {variant for status in HTTPStatus for variant in (status.phrase, status.phrase.upper())},
    key=len,
    reverse=True,
)
_REASON_PHRASE: Final = _WhereFound(
    re.compile(r"[1-5]\d\d [A-Z]"),
    re.compile(r"(?<![\w.])([1-5]\d\d) (?:" + "|".join(map(re.escape, _PHRASES)) + r")(?![\w-])"),
)
#: Names of data types a message may give after "type", in the cases languages write them.
_TYPE_NAME: Final = (
    "(?:bool|boolean|byte|bytes|char|short|int|integer|long|float|double|half|decimal|number"
    "|string|str|object|array|dict|tuple|null|nil|undefined|bigint|unsigned|varchar|timestamp"
    "|datetime|uuid|Boolean|Byte|Character|Short|Integer|Long|Float|Double|BigDecimal"
    "|BigInteger|Number|String|Object|Array|Date)"
)
_MASKS: Final[tuple[tuple[_Masker, _Replacement], ...]] = (
    # WebLogic's log record: its time, level, subsystem, server, thread, user, ids and message
    # id in angle brackets, then the message in its own ("####<Jun 3, 2024 9:12:44 AM BST>
    # <Info> <WorkManager> … <BEA-002936> <maximum thread constraint … is reached>").
    (
        _where(
            "<BEA-",
            r"^(?:####)?<[A-Z][a-z]{2} \d{1,2}, \d{4} [^<>]*>.*? <BEA-\d{6}> <(.*?)>?$",
        ),
        r"\1",
    ),
    # A syslog header goes: its time, host and program ("Jun  9 08:31:40 db-07 sudo[4411]: …",
    # "2024-06-12T08:15:07+00:00 web-2 kernel: …", krb5kdc's "… kdc01 krb5kdc[1187](info): "),
    # and the facility and level BusyBox's and OpenWrt's logread write before the program
    # ("… router daemon.err unbound: …"), also after Docker Compose's "postfix-1  | ", so a
    # line reads the same in the journal, in a file and in dmesg.
    (
        _at_start(
            r"^(?:[\w.-]+[-_]\d+ +\| )?(?:<\d{1,3}>)?"
            rf"(?:{_MONTH_DATE}|\d{{4}}-\d{{2}}-\d{{2}}T[\d:.]+(?:Z|[+-]\d{{2}}:?\d{{2}})?) +"
            r"[\w.:-]*[\w.-] +(?:(?:kern|user|mail|daemon|auth|syslog|lpr|news|uucp|cron|authpriv"
            r"|ftp|local[0-7])\.(?:emerg|alert|crit|err|warn|warning|notice|info|debug) +)?"
            r"[\w./-]+(?:\[\d+\](?:\([a-z]+\))?)?(?: \([^()\n]{1,200}\))?: "
        ),
        "",
    ),
    # Drupal's syslog line: its site, time, type, address, page, referrer, user id and link
    # before the message, between bars.
    (
        _where("|", r"^https?://[^|\s]*\|\d+\|[\w -]+\|[\d.:a-fA-F]+\|[^|]*\|[^|]*\|\d+\|[^|]*\|"),
        "",
    ),
    # What php-fpm writes before a worker's line ("[02-Jan-2025 23:41:09] WARNING: [pool www]
    # child 12 said into stderr: "NOTICE: PHP message: …""), and its closing quote.
    (
        _where(
            " said into std",
            r"^(?:\[[^\]]*\] [A-Z]+: )?\[pool [^\]]+\] child \d+ said into std(?:err|out): \""
            r"(?:[A-Z]+: )?(?:PHP message: )?"
            r"(.*?)\"?$",
        ),
        r"\1",
    ),
    # The statement WordPress names after "for query", and the calls that made it ("… for
    # query SELECT … made by require('wp-blog-header.php'), …").
    (
        _where(
            "for query ",
            r"(?<=\bfor query )(?:SELECT|INSERT|UPDATE|DELETE|REPLACE|SHOW)\b.*?(?= made by |$)",
        ),
        "<value>",
    ),
    (_where("for query <value> made by ", r"(?<=\bfor query <value> made by ).+$"), "<value>"),
    # A Windows event as Snare forwards it (its fields between tabs after "MSWinEventLog", the
    # message the thirteenth, a record number after it) and as Event Viewer exports it (level,
    # time, source, event id and category, between tabs).
    (
        _where("MSWinEventLog\t", r"^.*?MSWinEventLog(?:\t[^\t]*){12}\t(.*?)(?:\t\d*)?$"),
        r"\1",
    ),
    (
        _where(
            "\t",
            r"^(?:Information|Warning|Error|Critical|Verbose|Audit Success|Audit Failure)\t"
            r"[^\t]+\t[^\t]+\t\d+\t[^\t]*\t",
        ),
        "",
    ),
    # A PBS server log's time, event class, server, object type and id, between semicolons
    # ("06/12/2024 08:15:02;0008;Server@pbs01;Job;21873.pbs01;Job Queued at request of …").
    (
        _where(";", r"^\d{2}/\d{2}/\d{4} \d{2}:\d{2}:\d{2};[0-9a-f]{4};[^;\s]*;\w+;[^;\s]*;"),
        "",
    ),
    # An RFC 5424 syslog header: its time, host, program, pid, message id and structured data
    # ("2024-11-03T02:14:51+01:00 fw.lan lighttpd 41207 - [meta sequenceId="7"] …").
    (
        _at_start(
            r"^(?:<\d{1,3}>1 )?\d{4}-\d{2}-\d{2}T[\d:.]+(?:Z|[+-]\d{2}:\d{2}) +[\w.:-]+ +[\w./-]+"
            r" +(?:\d+|-) +\S+ +(?:-|(?:\[[^\]\n]*\])+) +"
        ),
        "",
    ),
    # An audit record's type and header ("node=db-2 type=SERVICE_START msg=audit(1718299920.004:
    # 377): "): the type, as the journal writes it ("audit[1]: SERVICE_START …").
    (_at_start(r"^(?:node=\S+ )?type=([A-Z_]+) msg=audit\([\d.]+:\d+\): "), r"\1 "),
    # What zap's console layout writes after a message, a tab and an object of fields with
    # no message nor error in it (those are read before): the logger's fields.
    (_where("\t{", r"\t\{[^\n]*\}$"), ""),
    # A time in seconds since the epoch before a line (Mosquitto's "1718203550: "): a time.
    (_at_start(r"^\d{10}(?:\.\d+)?: "), "<ts>: "),
    # A GitHub Actions annotation before a message ("##[error]", "::warning file=a.py::").
    (
        _at_start(
            r"^(?:##\[(?:error|warning|notice|debug)\]|::(?:error|warning|notice|debug)\b[^:\n]*::)"
        ),
        "",
    ),
    # Python logging's default layout ("ERROR:aiohttp.server:Error handling request"): its
    # level and its logger go, at the start of the line or after a runner's "| ", with the time
    # before them where it is written the same way (certbot's "2024-06-12 03:41:31,902:ERROR:",
    # or without the milliseconds, as a "datefmt" writes it).
    (
        _where(
            tuple(f"{level}:" for level in _PYTHON_LEVELS),
            r"(?:^|(?<=\| ))(?:\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:,\d{3})?:)?"
            + _PYTHON_LEVEL
            + r":[A-Za-z_][\w.]*:(?=\S)",
        ),
        "",
    ),
    # klog's structured line quotes its message ('conntrack.go:121] "Set sysctl" entry=…'):
    # the message is the line's text, not a quoted value.
    (_where(".go:", r'(\.go:\d{1,5}\] )"((?:[^"\\\n]|\\.){1,300})"'), r"\1\2"),
    (_where(_CLOCK, rf"\b{_MONTH_DATE}(?: \d{{4}}\b)?"), "<ts>"),
    # Lines of well-known programs whose free text is one value, masked before its parts:
    # cron's "(root) CMD (test -x /usr/sbin/anacron || …)" (the user and the command), the
    # reasons of a Rails validation ("Validation failed: Email has already been taken, Name
    # can't be blank"), and the referrer nginx adds to an error line when the request had one.
    (_at_start(r"^\([\w.@-]+\) CMD \(.*\)$"), "(<value>) CMD (<value>)"),
    (_where("Validation failed: ", r"(?<=\bValidation failed: )[^()\n]+?(?=\)?:?$)"), "<value>"),
    (_where(", referrer: ", r', referrer: "[^"\n]*"$'), ""),
    # More of them: the keys of an object a browser SDK captured as a promise rejection
    # ("Object captured as promise rejection with keys: code, message"), the expression
    # Firefox names in "can't access property "x", this.state.rows is undefined", the
    # requirement and the versions pip names, and the help link Maven ends an error with.
    (_where("with keys: ", r"(?<=\bwith keys: )\S.*$"), "<value>"),
    (
        _where(
            "can't access property",
            r"(?<=can't access property )(\S+,) .+?(?= is (?:null|undefined)$)",
        ),
        r"\1 <value>",
    ),
    (_where("the requirement ", r"(?<=satisfies the requirement )\S+"), "<value>"),
    (_where("(from versions: ", r"(?<=\(from versions: )[^)]*"), "<value>"),
    (_where(" -> [Help ", r" -> \[Help \d+\]$"), ""),
    # The thread an Android app crashed on ("FATAL EXCEPTION: OkHttp Dispatcher"), and the
    # engine React Native names after an error in some versions (", js engine: hermes").
    (_where("FATAL EXCEPTION: ", r"(?<=\bFATAL EXCEPTION: )\S.*$"), "<value>"),
    (_where(", js engine: ", r", js engine: \w+$"), ""),
    # The connection strongSwan names, when it knows one ("07[IKE] <site-b|7> received …").
    (_where("|", r"(?<=\[[A-Z]{3}\] )<[^<>|\s]+\|\d+> "), ""),
    # The name of a Windows service, in words ("The Windows Modules Installer service entered
    # the running state.", "The SQL Server (MSSQLSERVER) service terminated unexpectedly.").
    (
        _where(
            " service ",
            r"\bThe (?:[A-Z0-9(][\w().'-]* ){1,8}service(?= (?:entered|terminated|failed|was|is"
            r"|depends|did|hung|has|could)\b)",
        ),
        "The <name> service",
    ),
    # Redis's "12 Jun 2024 08:25:40.112", Apache's "10/Oct/2000:13:55:36 -0700", RFC 1123's
    # "Mon, 12 Jun 2024 08:15:00 GMT".
    (
        _where(
            _CLOCK,
            rf"\b\d{{1,2}}[ /-]{_MONTH}[ /-]\d{{4}}[ :T]\d{{2}}:\d{{2}}:\d{{2}}(?:[.,]\d{{1,9}})?"
            r"(?: ?(?:[+-]\d{4}\b|GMT\b|UTC\b))?",
        ),
        "<ts>",
    ),
    (
        _where(
            _CLOCK,
            r"\b(?:\d{4}([-/])\d{2}\1\d{2}(?:[T_]| {1,2}|, )|[01]\d-[0-3]\d )"
            r"\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?"
            rf"(?:Z|[+-]\d{{2}}:?\d{{2}}| [+-]\d{{2}}:?\d{{2}}\b)?{_ZONE}",
        ),
        "<ts>",
    ),
    # A day and a month's name before a time, without a year (Node-RED's "12 Jun 08:15:03").
    (_where(_CLOCK, rf"\b\d{{1,2}} {_MONTH} \d{{2}}:\d{{2}}:\d{{2}}\b"), "<ts>"),
    # The day of the week before a date ("Mon, 12 Jun 2024 …", systemd's "Wed 2024-10-03 …").
    (_where(" <ts>", r"\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun),? (?=<ts>)"), ""),
    # Open Liberty's time ("[3/14/25, 9:42:17:406 UTC]").
    (
        _where("/", r"(?<=\[)\d{1,2}/\d{1,2}/\d{2}, \d{1,2}:\d{2}:\d{2}:\d{3} [A-Z]{2,5}(?=\])"),
        "<ts>",
    ),
    # A date the American way, or with dots as much of Europe writes it, with a time of day
    # ("06/12/2024, 10:15:02 AM", "18.06.2024, 14:20:55": Nest's, in the locale it runs in).
    (
        _where(
            ("/", "."), r"\b\d{1,2}([/.])\d{1,2}\1\d{4},? \d{1,2}:\d{2}(?::\d{2})?(?: ?[AP]M\b)?"
        ),
        "<ts>",
    ),
    # A MAC address ("52:54:00:ab:cd:ef", "00-1A-2B-3C-4D-5E"), before its first three
    # pairs of digits read as a time.
    (
        _where(
            (":", "-"),
            r"(?<![\w:-])[0-9A-Fa-f]{2}([:-])[0-9A-Fa-f]{2}(?:\1[0-9A-Fa-f]{2}){4}(?![\w:-])",
        ),
        "<mac>",
    ),
    # A time of day, after MySQL's older date of six digits too ("240612 01:30:07", "160612
    # 9:05:11").
    (
        _where(
            _CLOCK,
            rf"\b(?:\d{{6}} {{1,2}}\d{{1,2}}|\d{{2}}):\d{{2}}:\d{{2}}(?:[.,]\d{{1,9}})?\b{_ZONE}",
        ),
        "<ts>",
    ),
    # A time of day on a twelve-hour clock, Go's kitchen time ("3:04PM", zerolog's console
    # before its level) and with seconds ("8:15:02 AM").
    (_where(re.compile(r"\d ?[AP]M\b"), r"\b\d{1,2}:\d{2}(?::\d{2})? ?[AP]M\b"), "<ts>"),
    # NLog's layout as Sonarr and Radarr write it, fields between bars ("2024-07-22 06:52:17.9|
    # Warn|Torznab|Indexer …", "19-8-26 06:50:24.0|Info|…"): gone, as a header.
    (
        _where(
            "<ts>|",
            r"^(?:\d{1,4}-\d{1,2}-\d{1,2} )?<ts>\|" + _NLOG_LEVEL + r"\|[\w.]+\|"
            r"(?=\S)",
        ),
        "",
    ),
    # The kernel's seconds since boot ("[ 88213.004571]", "[3877549.392631]"): gone where they
    # open a line (as the syslog header before them), a time elsewhere.
    (_at_start(r"^\[ *\d+\.\d{6}\] "), ""),
    (_where("[", r"\[ *\d+\.\d{6}\]"), "<ts>"),
    (
        _where(
            "-", r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"
        ),
        "<uuid>",
    ),
    # A URL, less the punctuation after it and a bracket it did not open ("[akka://Shop@
    # <ip>:25520]", "(see https://x.io/a).").
    (_where("://", r"\b[a-zA-Z][a-zA-Z0-9+.-]{1,15}://[^\s'\"<>`]+"), _url),
    # An Amazon resource name ("arn:aws:iam::123456789012:role/deploy-bot").
    (_where("arn:", r"\barn:[\w-]+:[\w-]*:[\w-]*:\d*:[^\s'\"<>,;)]+"), "<id>"),
    # A SIP address, with a name before it and parameters after ("1001/sip:1001@<ip>:5062;ob",
    # "trunk/sips:gw.example:5061;transport=tls"), and a package at a version
    # ("yaml@2.4.5", "@types/node@20.14.2"): values, not e-mail addresses.
    (_where("sip", r"(?<![\w/])(?:[\w.+-]+/)?sips?:[^\s>,]+"), "<url>"),
    (_where("@", r"(?<![\w@])@?[\w.-]+(?:/[\w.-]+)?@\d+(?:\.\d+){1,3}[\w.+-]*"), "<value>"),
    (_where("@", r"[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63})+"), "<email>"),
    (_where(".", r"\b(?:\d{1,3}\.){3}\d{1,3}(?::\d{1,5})?\b"), "<ip>"),
    (_where(":", r"(?<![\w:])(?:[0-9a-fA-F]{1,4}:){7}[0-9a-fA-F]{1,4}\b"), "<ip>"),
    # A compressed IPv6 address ("2001:db8:ff00::91", "fe80::1", "::1"), a digit in it
    # ("Cafe::Bad" is a name).
    (
        _where(
            "::",
            r"(?<![\w:])(?=[\w:]*\d)(?:(?:[0-9a-fA-F]{1,4}:){1,7}|:):"
            r"(?:[0-9a-fA-F]{1,4}(?::[0-9a-fA-F]{1,4}){0,6})?(?![\w:])",
        ),
        "<ip>",
    ),
    # An IPv6 address in brackets with its port ("[::1]:60112"): one address, as "<ip>:<port>".
    (_where("[<ip>]:", r"\[<ip>\]:\d{1,5}\b"), "<ip>"),
    # A PCI address, as the kernel names a device ("mlx5_core 0000:af:00.1", "nvme 0000:3b:00.0").
    (
        _where(
            re.compile(r":[0-9a-fA-F]{2}\.[0-7]"),
            r"\b[0-9a-fA-F]{4}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]\b",
        ),
        "<id>",
    ),
    (_where("0x", r"\b0x[0-9a-fA-F]+\b"), "<hex>"),
    # Bare hex (hashes, ids): a digit and a letter in it, else it is a number.
    (re.compile(r"\b(?=[0-9a-fA-F]*\d)(?=[0-9a-fA-F]*[a-fA-F])[0-9a-fA-F]{8,}\b"), "<hex>"),
    # A token in base64, digits and letters with a plus or padding in it ("HostID:
    # 2xdA8PuEtHg+5M0v1jHXqA9b7aYx=", a request's or an object's id).
    (
        _where(
            ("+", "="),
            r"(?<![\w+/=<])(?=[A-Za-z0-9+/]*\d)(?=[A-Za-z0-9+/]*[A-Za-z])"
            r"(?=[A-Za-z0-9+/]*\+|[A-Za-z0-9+/]+=)[A-Za-z0-9+/]{16,}={0,2}(?![\w+/=])",
        ),
        "<id>",
    ),
    # Host names, by their top-level domain, perhaps under a country's (example.com.br,
    # isp.net.om); java.lang.NullPointerException is no host.
    (
        _where(
            ".",
            r"(?<![\w.-])(?:[A-Za-z0-9-]{1,63}\.)+"
            r"(?:com|net|org|io|edu|gov|local|internal|lan|cluster|svc|us|uk|de|cn|hk|jp|ru)"
            r"(?:\.[a-z]{2})?(?::\d{1,5})?(?![\w.-])",
        ),
        "<host>",
    ),
    # The name a machine has for itself, with a port or not ("localhost", "localhost:5432").
    (_where("localhost", r"(?<![\w.-])localhost(?::\d{1,5})?(?![\w-])"), "<host>"),
    # A host name built around an address or a hash (dsl-static-<ip>.isp.net,
    # <ip>.nw.example.net, <hex>.cable.example): a host, whatever its domain.
    (
        _where("<", rf"(?<![\w.<>-])[\w-]*{_MASKED}[\w-]*(?:\.[A-Za-z][\w-]*){{2,}}(?![\w.-])"),
        "<host>",
    ),
    (_where("\\", r"(?:[A-Za-z]:\\|\\\\)[^\s'\"]+"), "<path>"),
    # A path with its query string, if any ("/api/v1/quotes?sku=1&qty=2"), from "./", "../" or
    # a home's "~/" too, with a "#" in a name (MySQL's "./shop/#sql-ib1185.ibd"); a path of one
    # segment where it stands alone as a word ("url: /health", "Not Found: /wp-login.php",
    # "~/data.db").
    (
        _where("/", r"(?<![\w<.~])(?:\.\.?(?=/)|~(?=/))?(?:/[\w.@~+#-]+){2,}/?(?:\?[^\s'\"<>]*)?"),
        "<path>",
    ),
    (
        _where(
            "/",
            r"(?<!\S)~?/(?=[\w.@~+-]*[A-Za-z])[\w.@~+-]+/?(?:\?[^\s'\"<>]*)?(?=[,;:)]?(?:\s|$))",
        ),
        "<path>",
    ),
    # A relative path of three segments or more with a dot before its last segment, or of four
    # or more ("org/springframework/boot/autoconfigure/X.class", "docker.io/library/nginx");
    # not two words with a slash ("and/or", "I/O") nor a short run of them ("seq/ack/win").
    (
        _where(
            "/",
            r"(?<![\w/<.:-])(?=[\w.$@~+/-]*\.[\w$@~+-]*/|[\w.$@~+-]*(?:/[\w.$@~+-]+){3})"
            r"[A-Za-z_][\w.$@~+-]*(?:/[\w.$@~+-]+){2,}/?",
        ),
        "<path>",
    ),
    # The message and the error of a structured line (logfmt's 'msg="Error on ingesting
    # samples that are too old"', 'err="context deadline exceeded"') are its text, not a
    # quoted value: their words stay (:func:`_structured_text`), and the values in them are
    # masked as anywhere else.
    (
        _where(
            '="',
            r"(: )?(?<![\w@.])("
            + "|".join(map(re.escape, (*MESSAGE_KEYS, *ERROR_KEYS, "reason")))
            + r')="((?:[^"\\\n]|\\.){0,1000})"',
        ),
        _structured_text,
    ),
    # A media type ("multipart/form-data", "application/octet-stream"), the host Ansible names
    # a task's result for ("fatal: [web-01]: FAILED!"), and a column named with its table
    # ("attachments.account_id", "t_wallet.CUSTOMER_NO").
    (
        _where(
            "/",
            r"(?<![\w/.<-])(?:application|text|image|audio|video|multipart|font|model|message)"
            r"/[\w.+-]+(?![\w/])",
        ),
        "<value>",
    ),
    (
        _where(
            ": [", r"\b((?:fatal|ok|changed|failed|skipping|unreachable|ignored): )\[[^\]\s]+\]"
        ),
        r"\1[<host>]",
    ),
    (_where("_", r"(?<![\w.<])[A-Za-z_]+\.[A-Za-z]*_[A-Za-z_]*(?![\w.])"), "<name>"),
    # A reason quoted after its key, in words, is the text of the reason, as a structured
    # line's is ("reason: 'entry too far behind'", "reason: 'entry out of order'").
    (_where("reason: ", r"(?<=\breason: )(['\"])([a-z]+(?: [a-z]+)+)\1"), r"\2"),
    # An exception quoted as its repr keeps its class, which names the reason
    # ("connection broken by 'NewConnectionError(\"…: Connection refused\")'", urllib3's, and
    # "'ReadTimeoutError(\"…\")'").
    (
        _where(
            tuple(f"{suffix}(" for suffix in _EXCEPTION_SUFFIXES),
            r"(?<!\w)'([A-Z]\w*" + EXCEPTION_SUFFIX + r")\((?:\"[^\"\n]{0,300}\"|[^'\n]{0,300})\)'",
        ),
        r"\1: <str>",
    ),
    # A quote opens a value only where a word does not go on (not the apostrophe of "can't").
    (_where("'", r"(?<!\w)[ub]?'[^'\n]{0,200}'(?!\w)"), "<str>"),
    (_where('"', r'"[^"\n]{0,200}"'), "<str>"),
    # Typographic quotes, double and single (U+201C/U+201D, U+2018/U+2019).
    (
        _where(
            ("\u201c", "\u2018"), r"\u201c[^\u201d\n]{0,200}\u201d|\u2018[^\u2019\n]{0,200}\u2019"
        ),
        "<str>",
    ),
    # A name in backticks (MySQL's "Unknown column `total` in …", a compiler's "`x` not found"),
    # or opened by one and closed by an apostrophe, as Ruby and GNU tools quote ("undefined
    # method `name' for nil").
    (_where("`", r"`[^`'\n]{1,200}[`']"), "<str>"),
    # Short durations: "00:17" (minutes and seconds), "<1 sec".
    (_where(_CLOCK_OR_SECONDS, r"(?<![\w:.<])\d{1,2}:\d{2}(?![\w:])|<\d+ sec\b"), "<num>"),
    # A duration in words, of one unit or several ("30 seconds", "1 hour 2 minutes", "3 minutes
    # and 12 seconds"): one number, as "30s" is.
    (
        _where(
            (" sec", " min", " hour", " hr", " day", " week", "illisec", "icrosec", "anosec"),
            r"(?<![\w.<])\d+(?:\.\d+)? _U\b(?:,? (?:and )?\d+(?:\.\d+)? _U\b)*".replace(
                "_U",
                r"(?:nanoseconds?|microseconds?|milliseconds?|seconds?|secs?|minutes?|mins?"
                r"|hours?|hrs?|days?|weeks?)",
            ),
        ),
        "<num>",
    ),
    # A size restated for people after a byte count ("18846 bytes (18.4 KB)"): one size.
    (_where(" bytes (", r"(?<=\d bytes) \(\d+(?:\.\d+)? ?[kKMGTP]i?B\)"), ""),
    # A status's reason phrase after its code ("HTTP/1.1 204 No Content", "503 Service
    # Unavailable"): it restates the code, a number.
    (_REASON_PHRASE, r"\1"),
    # A data type's name after "type" ("… is type float, already exists as type integer",
    # "(type string)", "allocating tensor … and type half"): a value.
    (_where("type ", r"(?<=\btype )" + _TYPE_NAME + r"\b"), "<name>"),
    # A document in braces, its first member a key ('dup key: { email: "a@b.io" }', JSON's
    # '{"user": "bob"}', its key a quoted value by now): one value.
    (_where("{", r"\{\s*(?:<str>|[\w$.]+)\s*:[^{}\n]{0,300}\}"), "<doc>"),
    # A list of two words or more in brackets, with commas between ("[Slave, Synced, Running]",
    # "(publickey,password)", "[None, TransactionConflict]"): its first word names it (a role,
    # a state, the first method tried) and stays, the rest is one value, however long.
    (
        _where(
            ",",
            r"(?<=[\[(])((?!<)[A-Za-z_][\w.@/+-]*, ?)"
            r"[A-Za-z_][\w.@/+-]*(?:, ?[A-Za-z_][\w.@/+-]*)*(?=[\])])",
        ),
        r"\1<value>",
    ),
    # A logger's bracketed context of key=value pairs ("[Consumer clientId=c-1, groupId=orders]",
    # "[traceId=…, spanId=…]", gRPC's "[closed=[], open=[[remote_addr=…]]]"): one value, however
    # many pairs, with brackets nested up to two deep inside it.
    (
        _where(
            "=",
            r"\[(?:[A-Za-z][\w-]* )?[A-Za-z_][\w.-]*="
            r"(?:[^\[\]\n]|\[(?:[^\[\]\n]|\[[^\[\]\n]*\])*\]){0,200}\]",
        ),
        "<ctx>",
    ),
    # sudo's line names who ran what: the user before its fields ("alice : TTY=pts/0 ; …") and
    # the command, the rest of the line after "; COMMAND=" (its words are the command's own).
    (_at_start(r"^\s*[\w.@-]+ : (?=TTY=|PWD=|USER=)"), "<value> : "),
    (_where("; COMMAND=", r"(?<=; COMMAND=)\S.*$"), "<value>"),
    # The value of a key=value pair ("code=exited", "groupId=orders", "rhost=<ip>"), of whatever
    # kind, in square brackets (Kea's "cid=[no info]") or in angle brackets too (a mail log's
    # "msgid=<20051109.jA9J@<host>>", "from=<<email>>"): one key's values are one kind of value.
    # Not the message or the error of a structured line ("msg=", "error=invalid_user_credentials"):
    # they say what the problem is.
    (
        _where(
            "=",
            rf"(?<=[A-Za-z_]=)(?<!msg=)(?<!message=)(?<!err=)(?<!error=)(?<!reason=)"
            rf"(?:{_MASKED}|<(?:[^<>\s]|{_MASKED})*>|\[[^\[\]=\n]{{0,80}}\]"
            rf"|(?!<)[^\s,;&=)\]}}'\"]+)",
        ),
        "<value>",
    ),
    # The same written with spaces around the sign, in a line of two such pairs or more, a
    # value running to a comma or the line's end (PBS's "owner = jchen@login02, job name =
    # relax_step3.pbs, queue = batch"): a value, as a key=value pair's.
    (
        _when(
            r" = .* = ",
            r"(?<=[A-Za-z] = )(?!<)[^\s,;=]+(?=,|$)",
        ),
        "<value>",
    ),
    # The same written as "key: value" with commas between, in a line where two such pairs
    # follow one another, a value of one word running to a comma, a closing bracket or the
    # line's end (qBittorrent's "IP: <ip>, username: radarr", nginx's "client: <ip>, server:
    # kong"): a value; not a status, a code, a state, an error or a reason (tonic's "status:
    # Unavailable, message: …"), which say what the problem is.
    (
        _when(
            r"\w: [^\s,]+, [A-Za-z_][\w-]*: ",
            r"(?<=[A-Za-z_]: )(?<!status: )(?<!code: )(?<!state: )(?<!error: )(?<!reason: )"
            r"(?!<)[^\s,;:\[\]()<>]+(?=,|\]|$)",
        ),
        "<value>",
    ),
    # A run of three key=value pairs or more, their values masked, with flags in capitals among
    # them (a firewall's "IN=eth0 OUT= MAC=… SRC=… DF PROTO=TCP SYN URGP=0", an event's "type=…,
    # realmId=…, clientId=…") or bars between them (SonarQube's "project=… | type=… | id=…"):
    # one context, whichever fields a line carries. A pair whose value stays (the message or
    # the error of a structured line) ends the run.
    (
        _where(
            "=",
            r"(?<!\S)(?:_P)(?: (?:\| |[A-Z]{2,6} )*(?:_P)){2,}(?!\S)".replace(
                "_P", r"[A-Za-z_][\w.-]*=(?:<value>\S*?)?,?"
            ),
        ),
        "<ctx>",
    ),
    # An empty pair of brackets standing alone where a value goes ("connection from <ip> () at",
    # beside "connection from <ip> (<host>) at"): a value that is missing.
    (_where("()", r"(?<=\s)\(\)(?=\s|$)"), "(<value>)"),
    # A user name where a phrase names it ("for user cyrus", "Invalid user admin", Pure-FTPd's
    # "for user [joe]", Samba's "for user [bob] -> [bob]"), and where sshd names an
    # authentication method for it ("Failed password for root from <ip>").
    (
        _where(
            " user ",
            r"\b((?:[Ii]nvalid|for|authenticating|by|[Ii]llegal) user )(?!<)"
            r"(?:\[[^\]\n]{1,64}\](?: -> \[[^\]\n]{1,64}\])?|[\w.@-]+)",
        ),
        r"\1<value>",
    ),
    (
        _where(
            " for ",
            r"\b((?:password|publickey|keyboard-interactive(?:/pam)?|hostbased|gssapi-with-mic"
            r"|none) for )(?![Ii]nvalid user |[Ii]llegal user )(?!<)[\w.@-]+",
        ),
        r"\1<value>",
    ),
    # The method of an HTTP request line ("GET /orders", "Started POST <str>"), and of a
    # request a phrase names ("I/O error on DELETE request for <url>", CouchDB's "request PUT
    # to <url>").
    (
        _where(HTTP_METHODS, rf"\b(?:{'|'.join(HTTP_METHODS)})(?= (?:/|<|https?:|request\b))"),
        "<method>",
    ),
    (_where("request ", rf"(?<=\brequest )(?:{'|'.join(HTTP_METHODS)})\b"), "<method>"),
    # The method in brackets after a request's path (Flask's "Exception on /orders [POST]").
    (_where(" [", rf"(?<=<path> \[)(?:{'|'.join(HTTP_METHODS)})(?=\]$)"), "<method>"),
    # The user of an access-log line in the common log format ("<ip> - alice [<ts>] …", "-"
    # when there is none), as nginx and Apache write it: a value, present or not.
    (_at_start(r"^((?:<ip>|<host>) \S+ )(?!<)\S+(?= \[<ts>\] )"), r"\1<value>"),
    # The host a name lookup asks for, as Go's resolver says it ("dial tcp: lookup redis on
    # <ip>: no such host", "lookup orders-db: i/o timeout").
    (_where("lookup ", r"(?<=\blookup )(?!<)[\w.-]+(?= on \[?<ip>|: )"), "<host>"),
    # The operation an AWS SDK call names ("when calling the PutObject operation").
    (_where(" operation", r"(?<=\bcalling the )[A-Z]\w*(?= operation\b)"), "<name>"),
    # The identifier a JavaScript engine names in its TypeError or ReferenceError ("ReferenceError:
    # moment is not defined", "TypeError: fetchOrders is not a function"): the code's name.
    (
        _where(
            " is not ",
            r"(?<=Error: )(?!<)[A-Za-z_$][\w$]*(?= is not (?:defined|a function|a constructor"
            r"|iterable)\b)",
        ),
        "<name>",
    ),
    # The user a login was for, before where it came from (Gitea's "Failed authentication
    # attempt for admin from <ip>", "login for bob from <ip>"; sshd's user is read above).
    (
        _where(
            " from <",
            r"(?:(?<=\battempt for )|(?<=\blogin for )|(?<=\bauthentication for ))(?!<)"
            r"[a-z][\w.-]*(?= from <(?:ip|host)>)",
        ),
        "<name>",
    ),
    # The host curl could not connect to, before its port ("Failed to connect to victoria port
    # 8428 after 0 ms"; ssh's "connect to host gitea port 22" is a name after its kind).
    (
        _where(" port ", r"(?<=\bconnect to )(?!<|host )[\w.-]+(?= port (?:<num>|\d+)\b)"),
        "<host>",
    ),
    # The user a process runs as, before its ids (restic's "locked by PID 4242 on nas by root
    # (UID 0, GID 0)", "by alice (uid=1000)").
    (_where((" (UID ", " (uid"), r"(?<= by )(?!<)[a-z_][\w.-]*(?= \((?:UID|uid)[ =])"), "<name>"),
    # The record type a DNS query asks for, after the name it asks about ("query:
    # <host> IN AAAA", "failed to exchange ;www.example.com. IN A in 5s"): a value.
    (
        _where(
            " IN ",
            r"(?:(?<=> IN )|(?<=\. IN ))(?:A|AAAA|PTR|MX|CNAME|TXT|NS|SOA|SRV|HTTPS|SVCB|ANY|CAA"
            r"|DS|DNSKEY|NAPTR)\b(?![-.])",
        ),
        "<value>",
    ),
    # A name after the kind of thing it names, where it reads as a name, not a word: it has a
    # sign in it (-, _, ., /, $) or capitals inside it ("container istio-proxy", "index
    # SHOP.ORDER_ITEMS_PK", "collection: shop.users", "struct field LineItem.quantity", "master
    # orders-cache", "Server web_back/web-01"), or it stands in brackets ("constraint [null]").
    # Or a plain word, where what follows shows it is a name: a masked value, a closing bracket
    # or a word that goes on after a name ("container worker in pod", "Container api was
    # using", "master mymaster <ip>"); not a word that goes on a phrase itself ("index out of
    # range", "node was low", "key error"), nor a verb's form ("Server listening on", "container
    # exited with"), nor a word at the end of a line, where it may name a constant ("registered
    # new driver usbfs"), nor an exception's class ("in app: ValueError: …", Flask's). Any word
    # may be a kind: the set decides, which is much faster than a pattern naming every kind.
    (
        re.compile(
            r"\b([A-Za-z]{2,12}:? )(?:(\[)?(?![\w.$]*" + EXCEPTION_SUFFIX + r"\b)"
            r"(?(2)|(?=[\w.$/-]*(?:[-_./$]|[a-z][A-Z]|[A-Z]{2})))[A-Za-z_][\w.$/-]*[\w$](?(2)\])"
            r"|(?!<)(?![a-z]*(?:ing|ed) )([a-z][a-z0-9]*)"
            r"(?= (?:<|in |on |was |is |has |had |for |from |at |with |not |port )|\]))"
        ),
        _kind_name,
    ),
    # The value after a Windows event's field name ("Account Name:\t\tjdoe", "Account Domain:
    # CORP", "Security ID: SYSTEM", "Caller Computer Name: WS-114"): a value, whatever it reads.
    (
        _where(
            ("Name:", "Domain:", "ID:", "Address:"),
            r"\b((?:Account Name|Account Domain|Security ID|Logon ID|Caller Computer Name"
            r"|Workstation Name|Source Network Address|Client Address|Network Address):\s+)"
            r"(?!<)(?![A-Z][a-z]+(?: [A-Z][a-z]+)*:)[^\s<]+",
        ),
        r"\1<value>",
    ),
    # A user's name, where what follows shows it is one: a verb's past ("user netops logged
    # out", "User cvpsystem entered …"), a bracket ("user jsmith (uid 1000)") or the end of a
    # sentence; not a word of a phrase ("user not found"), an action's or a thing's ("user
    # authentication failed"), nor "unknown" (pam's "user unknown").
    (
        _where(
            ("user ", "User "),
            r"\b([Uu]ser (?:ID )?)(?!<)(?!(?:" + "|".join(sorted(_PHRASE_WORDS)) + r")\b)"
            r"(?![a-z]*(?:tion|ment|ing|ure)\b|unknown\b)"
            r"([a-z][\w.@-]*[a-z0-9])(?=\.?$|\.? \(|\. [A-Z]| [a-z]{2,}ed\b)",
        ),
        r"\1<name>",
    ),
    # A client's user agent in brackets ending a line (Home Assistant's "… Requested URL:
    # '/api/'. (Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like
    # Gecko) Chrome/122.0.0.0 Safari/537.36)"): one value, as a quoted one in an access line.
    (
        _where(
            "/",
            r"(?<= \()[A-Za-z][\w.-]*/[\w.+-]+(?: (?:\([^()\n]*\)|[^\s()]+))*(?=\)$)",
        ),
        "<value>",
    ),
    # The service a PAM module works for ("pam_sss(sudo:auth)", "pam_unix(sshd:session)"): a
    # value; the module and the stage stay.
    (_where("pam_", r"(?<=\bpam_)(\w+\()(?!<)[\w-]+(?=:\w+\))"), r"\1<name>"),
    # A SIP request's method in brackets ("SIP auth challenge (REGISTER) on sofia profile …"):
    # a value, as an HTTP request's method is.
    (
        _where(
            "(",
            r"\((?:INVITE|REGISTER|OPTIONS|SUBSCRIBE|NOTIFY|BYE|CANCEL|ACK|PRACK|REFER|PUBLISH)\)",
        ),
        "(<method>)",
    ),
    # A name alone in braces, standing as a word (Aerospike's namespace, "{user-profiles}
    # nsup-done: …"; amavis's policy bank, "Passed CLEAN {RelayedInbound}, …"): a value.
    (_where("{", r"(?<!\S)\{(?!<)[\w.-]+\}(?=[\s,:;]|$)"), "{<name>}"),
    # The target make was building, with the makefile and line of its recipe ("make: ***
    # [Makefile:42: build/obj/parser.o] Error 1"): a value.
    (_where("*** [", r"(?<=\*\*\* )\[[^\]\n]+\](?= Error \d)"), "[<value>]"),
    # The channel a login or a message came by, at the end of a line or before where from
    # ("logged out from <ip> via winbox", "logged in via Web from <ip>"): a value.
    (_where(" via ", r"(?<=\bvia )(?!<|[\w-]*\d)[A-Za-z][\w-]*(?=$| from | using )"), "<value>"),
    # A plain word after a kind and a colon, ending the line ("no such table: orders"): a name.
    (_where(": ", r"\b([A-Za-z]{2,12}: )()([a-z][a-z0-9_]*)$"), _kind_name),
    # The key type sshd names before a key's fingerprint ("ssh2: RSA SHA256:…"), and the JSON
    # value and Go type of Go's "json: cannot unmarshal number 1.5 into Go struct field
    # <name> of type int".
    (
        _where(" ssh2: ", r"\b(?:RSA|DSA|ECDSA|ED25519)(?:-SK)?(?:-CERT)?(?= (?:SHA256|MD5):)"),
        "<value>",
    ),
    (
        _where(
            "cannot unmarshal ",
            r"\b(cannot unmarshal )(?:number|string|array|object|bool)(?: \S+)?"
            r"( into Go (?:struct field \S+|value) of type )\S+",
        ),
        r"\1<value>\2<name>",
    ),
    # A daemon's dotted name with a dash in it, which has no digit to mark it ("mon.ceph-mon-b").
    (_where(".", r"(?<![\w.<>/-])[a-z]+\.[a-z][a-z-]*-[a-z-]*[a-z](?![\w.>/-])"), "<name>"),
    # A name alone in brackets that reads as the code's or an operator's own: snake case, camel
    # case or dotted ("(haproxy_vip) Entering MASTER STATE", "(displayName) not indexed",
    # "(MyAppWeb.Router)"); not a constant in capitals ("(SIGSEGV)", "(MEMORY_LIMIT_EXCEEDED)"),
    # an error's name in Pascal case ("(AccessDenied)") nor a word ("(reserved)").
    (
        _where(
            "(",
            r"\((?=[a-z][\w$]*[A-Z]|[\w.$]*(?:[a-z0-9]_[a-z]|\.[A-Za-z]))[A-Za-z_][\w.$]*\)",
        ),
        "(<name>)",
    ),
    # Whether a process that died left a core is the same problem ("(SIGSEGV - core dumped)",
    # "Segmentation fault (core dumped)").
    (_where("core dumped", r" \(core dumped\)|(?: -|,) core dumped(?=\))"), ""),
    # Go's bounds check names the length or capacity only when the index is not negative
    # ("index out of range [5] with length 3", "index out of range [-1]"): one problem.
    (
        _where(
            "out of range [", r"(?<=out of range \[)([^\]\s]{1,40}\]) with (?:length|capacity) \d+"
        ),
        r"\1",
    ),
    # A block device where a disk is named ("dev sda", "device nvme0n1p2", "disk xvdf").
    (
        _where(
            ("dev", "disk", "drive"),
            r"\b((?:dev|device|disk|drive):? )"
            r"(?:[shv]d[a-z]{1,2}|xvd[a-z]{1,2}|nvme\d+n\d+|mmcblk\d+|md\d+|dm-\d+|loop\d+)"
            r"(?:p?\d+)?(?![\w.-])",
        ),
        r"\1<dev>",
    ),
    # The name of a process after its id ("Killed process 9912 (node)", "task 31 (postgres)").
    (_where("(", r"\b((?:[Pp]rocess|pid|task|thread) \d+ )\([\w./:-]{1,64}\)"), r"\1(<name>)"),
    # A level and a scope or logger between tabs after the time (Istio's and zap's console
    # layouts: "<ts>\tinfo\tads\tLDS: PUSH …", "<ts>\tERROR\tcontroller\t…").
    (
        _where("\t", r"^<ts>\t(?i:" + _LEVEL + r")\t(?:[\w.:/-]+\t)?"),
        "",
    ),
)
# Numbers, with or without a unit (30s, 212ms, 1.5GB, 80%, 5.2 KB, 93.0 B, and Kubernetes'
# quantities: 1843Mi, 2Gi).
_NUMBER: Final = re.compile(
    r"(?<![\w<])[-+]?\d+(?:\.\d+)?"
    r"(?:ns|us|µs|ms|s|m|h|d|[kKMGT]i?[bB]|[KMGTPE]i|%| [kKMGT]i?B\b| B\b)?(?![\w>])"
)
# Any other word with a digit in it is an identifier (blk_-1608, appattempt_1445_0020,
# core.2275, mesos-slave-07, rdd_2_1, test9): masked whole, not digit by digit.
_IDENTIFIER: Final = re.compile(r"(?<![\w.<-])[\w.-]*\d(?:[\w.-]*\w)?")
#: An exception's class name with its package, a digit in either (com.ibm.db2.jcc.am.
#: SqlSyntaxErrorException, io.netty.handler.codec.http2.Http2Exception): a name, not an id.
_EXCEPTION_NAME: Final = re.compile(r"(?:[\w$]+\.)+[A-Z][\w$]*" + EXCEPTION_SUFFIX)
# A list of one kind of value, however long ("<ip>,<ip>", "[<id>, <id>, <id>]"): one value.
_LIST: Final = re.compile(rf"({_MASKED})(?:, ?\1)+")
_SPACES: Final = re.compile(r"\s+")


def _identifier(match: re.Match[str]) -> str:
    word = match.group()
    return word if _NUMBER.fullmatch(word) or _EXCEPTION_NAME.fullmatch(word) else "<id>"


#: What a logger, a shipper or a runner writes before a message, on masked text: one part at a
#: time (a part ends at a space, the line's end or a bracket, so parts may follow one another
#: without a space: "[<ts>][WARN ][o.e.c.DiskThresholdMonitor]"), each part one of these
#: layouts, tried in order. A line reads the same whichever of them its logger wrote, and with
#: none.
_HEADER_LAYOUTS: Final = (
    # A time in brackets as date(1) writes it, with its half of the day, zone and year
    # (acme.sh's "[Tue Oct 15 06:18:25 PM CST 2024]"), or with the zone first (Monit's "[CEST
    # Jun 12 10:15:02]").
    r"\[<ts>(?: [AP]M)?(?: [A-Z]{3,4})? <num>\]",
    r"\[[A-Z]{3,4} <ts>\]",
    # Rust's env_logger: the time, the level and the module in one pair of brackets
    # ("[<ts> ERROR my_app::db] ").
    r"\[<ts> " + _LEVEL + r" +[\w:.-]+\]",
    # Sanic's worker before its time ("Srv 0 <ts> ERROR: ").
    r"Srv <num>(?= <ts>)",
    # Django's "verbose" layout: the module, process and thread after the time
    # ("INFO <ts> runserver 41 140233861523136 WebSocket …").
    r"<ts> [a-z_]\w* <num> <num>(?= [A-Z])",
    # Serilog's "[<ts> WRN]" (its level in three capitals), before the time alone.
    r"\[<ts> [A-Z]{3}\]",
    # Pi-hole FTL's time, pid and thread in one pair of brackets ("[2022-04-21 18:21:35.045
    # 521/T538] "), before the time alone.
    r"\[<ts> <num>/<id>\]",
    # zerolog's console writer: its level in three capitals after the time ("3:04PM INF ").
    r"<ts> (?:TRC|DBG|INF|WRN|ERR|FTL|PNC)(?= )",
    # A time, in brackets or not, with a zone before a colon ("*<ts> UTC:", Cisco's), and
    # Erlang/OTP's lower-case level after it.
    r"\*?\[?<ts>\]?(?: [A-Z]{3,4}(?=:))?:?"
    r"(?: (?:debug|info|notice|warning|error|critical|alert|emergency):(?= ))?",
    # Cisco's sequence number before a time; an id before a time.
    r"<num>:(?= (?:<num>:|\*?<ts>))",
    r"<id>(?= <ts>)",
    # A program with its pid ("dnsmasq[<num>]: ", Heroku's "app[<id>]: ", krb5kdc's
    # "krb5kdc[<num>](info):"); iOS's "App[<pid>:<tid>]".
    r"(?:<id>|[\w.-]+) *\[[^\]\s]+\](?:\([a-z]+\))?:",
    r"[\w.-]+\[<num>:<num>\]",
    # SonarQube's process, task and logger ("ce[AZcscQ1x][o.s.c.t.CeWorkerImpl] ").
    r"(?:ce|web|app|es)\[[^\]\s]*\]\[[\w.$]+\]",
    # Sonarr's and Radarr's console: a level in brackets and the logger ("[Warn] Torznab: ").
    r"\[" + _NLOG_LEVEL + r"\] [A-Z]\w*:",
    # Python logging's common "%(name)s - %(levelname)s - " ("root - ERROR - "), a level and a
    # logger before a dash ("ERROR db - "); pino-pretty's name, pid and host ("(api/1234 on
    # web-1): "); PHP's level ("PHP Warning:  "); Rust's panic before its message ("thread
    # 'main' panicked at src/db.rs:42:5:").
    r"[\w.]+ - " + _LEVEL + r" -(?= )",
    _LEVEL + r" +[\w.]+ -(?= )",
    r"\((?:[\w.-]+/)?<num> on [\w.<>-]+\):",
    r"PHP (?:Fatal error|Parse error|Warning|Notice|Deprecated|Strict Standards"
    r"|Catchable fatal error|Recoverable fatal error|Error):",
    r"thread <str> panicked at \S+:<num>:<num>:",
    # What a runtime writes before an exception it did not catch, and Java's cause: Java's
    # "Exception in thread "main" ", .NET's "Unhandled exception. ", a browser's "Uncaught
    # (in promise) ", Node's "UnhandledPromiseRejectionWarning: ", "Caused by: " (not
    # Flutter's "Unhandled Exception: ", which names no class).
    r"(?:Exception in thread <str>|Caused by:|Uncaught(?: \(in promise\)| exception:)?"
    r"|Unhandled exception[.:]|UnhandledPromiseRejectionWarning:)"
    r"(?= [\w.$]*" + EXCEPTION_SUFFIX + r"\b)",
    # Flask's default layout after its time: the level and the module ("ERROR in app: ").
    _PYTHON_LEVEL + r" in [\w.]+:(?= )",
    # A level in brackets ("[error]", "[WARN ]") or in capitals ("WARN", "WARNING:", "LOG";
    # not Node's "Error:", which names an exception, nor before a word in capitals).
    r"\[(?i:" + _LEVEL + r") *\]",
    r"\[?" + _LEVEL + r"\]?(?: ?:)?(?! [A-Z]{2,}\b)",
    # A quoting "> ", a box's left edge (Sanic's "╭ Srv 1 …"), Python logging's " - "
    # separators, a daemon's name ("iscsid: ").
    r">",
    r"[\u2500-\u257f]+",
    r"-(?= )",
    r"[a-z][a-z0-9-]*[a-df-z0-9]d:",
    # A pid before a level; Spring Boot's "<num> --- [<app>] [<thread>] <logger> : "; an Erlang
    # pid; a pid after a name before a level.
    r"<num>(?= \[?" + _LEVEL + r"\b)",
    r"<num> --- (?:\[[^\]]*\] +)?\[[^\]]*\] +[\w.$]+ *:",
    r"<\d+\.<num>\.\d+>",
    r"(?:<id> |[\w-]+ )?pid <num>:(?= \[?" + _LEVEL + r"\b)",
    # A host's or a name's tag.
    r"(?:<host>|<name>):(?= )",
    # Android logcat's headers ("<date> <ts> <pid> <tid> E Tag: ", "E/Tag( <pid>): ", Android
    # Studio's "<pid>-<tid>/com.app E/Tag: "); strongSwan's "<num>[IKE]"; .NET's console
    # ("fail: Orders.Api[<num>]").
    r"<num> +<num> [VDIWEF] [\w.$-]+ *:",
    r"(?:<id>/[\w.]+ )?[VDIWEF]/[\w.$-]+ *(?:\( *<num>\))?:",
    r"<num>\[[A-Z]+\]",
    r"(?:trce|dbug|info|warn|fail|crit): (?:<id>|[\w.]+\[<num>\])",
    # Separators: a number before " - ", bars between fields.
    r"<num> +-(?= )",
    r"<ctx> \|",
    r"\|",
    # klog's "<num> file.go:<num>]"; Jetty's "<ts>:WARN :oejs.Server:main:"; kubectl's event
    # columns ("12m Normal ScalingReplicaSet deployment/web").
    r"<num> [\w.-]+:<num>\]",
    r"<ts>:[A-Z]+ ?:[\w.$]+:[^:\s]+:",
    r"(?:(?:<num>|<id>) +)?(?:Normal|Warning) +[A-Z][A-Za-z]+ +\S+/\S+",
    # Monolog's "app.ERROR:"; Ruby's Logger ("E, [<ts> #41] ERROR -- :"); loguru's
    # "module:function:12 -".
    r"[\w.-]+\.(?:DEBUG|INFO|NOTICE|WARNING|ERROR|CRITICAL|ALERT|EMERGENCY):",
    r"[DIWEFAU], \[<ts> #<num>\] +[A-Z]+ -- [^:]*:",
    r"[\w.]+:[\w<>]+:<num> -(?= )",
    # tracing's span and target ("request{method=GET}: cart_svc::store:").
    r"[a-z_]\w*\{[^{}]*\}:",
    r"[a-z_]\w*(?:::\w+)+:",
    # Log4j's "[<thread>] <logger> - ", JBoss's "[<logger>] (<thread>) ", a bracketed word of
    # no spaces (a thread, a pid, a context, a node, a rank: "[<num>] ", "[rank3]:").
    r"\[[^\]]*\] [\w.$]+ -",
    # logback's "[<thread>] <level> <logger> : ", a thread's name with spaces (Gerrit's "[SSH
    # git-upload-pack /platform/manifest (jenkins)] ERROR …").
    r"\[[^\]]*\](?= +" + _LEVEL + r"\b)",
    r"\[[\w.$]+\] \([^)]*\)",
    r"\[[^\]\s]+\]:?",
    # A time with a level letter after a hyphen ("06:41:09.118-W ").
    r"<ts>-[VDIWEF](?= )",
    # Node-RED's node, its type and its name or id ("[function:Parse payload] ").
    r"\[[a-z][\w-]*:[^\]\n]{1,80}\](?= [A-Z])",
    # A dotted logger name before " - " or " : "; the class and method a one-line
    # java.util.logging record names before a capitalised message ("com.acme.Importer
    # importRow Skipping row …").
    r"[a-z][\w$]*(?:\.[\w$]+){2,} (?:\[[^\]]*\] )?[-:]",
    r"[A-Za-z][\w$]*(?:\.[\w$]+)+ (?:\[[^\]]*\] )?-(?= )",
    r"[a-z][\w$]*(?:\.[\w$]+)*\.[A-Z][\w$]* [a-z][\w$]*(?= [A-Z])",
    # A pool's or a component's name before " - " ("HikariPool-1 - ").
    r"(?:<id>|<name>|[A-Za-z]\w*-[\w-]+) -(?= )",
    # What runs a program writes before its lines: Docker Compose's "web-1  | ", pm2's
    # "1|worker | ", a container log file's "stderr F ", Telegraf's "E! ".
    r"(?:<id>|<num>\|[\w.-]+)(?= +\| )",
    r"[\w.-]+(?= \| (?:<ts>|\[|[a-z_]+=))",
    r"(?:stdout|stderr) [FP]",
    r"[DIWE]!",
    # lighttpd's source location ("(gw_backend.c.274) ", a name in brackets before a
    # lower-case word); Tornado's "[I <ts> web:<num>] " (its time a six-digit date and a time
    # of day); Home Assistant's "(MainThread) [aiohttp.server] ".
    r"\(<name>\)(?= [a-z])",
    r"\[[DIWEC] <ts> [\w.<>-]+:<num>\]",
    r"\([\w<>-]+\) \[[\w.<>]+\]",
    # stern's pod and container before a time or a run of pairs ("loki-0 loki level=…").
    r"[\w.-]*<(?:id|hex)>[\w.<>-]* [a-z][\w-]*(?= (?:<ts>|<ctx>) )",
    # oauth2-proxy's address, request id and user before its auth log's time.
    r"<ip> - \S+ - \S+ \[<ts>\]",
    # A kernel line's "kernel: " without its syslog header; Airflow's "{file.py:<num>}"
    # before a level.
    r"kernel:(?= )",
    r"<doc>(?= " + _LEVEL + r" - )",
    # Apache's "[pid <num>] [client <ip>:<num>] ".
    r"\[(?:pid|PID|client) [^\]]*\]",
    # In CI, BuildKit's step and time ("#8 6.112 ") and npm's "npm ERR! " or "npm error ".
    r"#<num> <num>(?= )",
    r"npm (?:ERR!|error|warn|WARN)(?= )",
    # Asterisk's "-- ", its level and thread ("VERBOSE[1402] ", "WARNING[12345][C-0000002a]:
    # "), and a C source location ("sofia.c:1060 ", "res_pjsip/pjsip_options.c: ",
    # Asterisk's "file.c:673 in function:").
    r"--(?= )",
    r"[A-Z]+\[<num>\](?:\[[\w<>-]+\])?:?",
    r"[\w./-]+\.c(?::|:<num>(?::|(?: in)?(?: [a-z_]\w*:)?))(?= )",
    # make's "make: " before "***".
    r"make:(?= \*\*\* )",
    # FreeSWITCH's idle share and call id; coturn's counter and thread ("61207: (9): ");
    # Kamailio's process, module, source line and function ("2(24105) ", "pike
    # [pike_funcs.c:135]: pike_check_ipaddr(): ").
    r"<num>%(?= \[)",
    r"<uuid>(?= <ts>)",
    r"<num>: (?:\(<num>\)|):",
    r"<num>\(<num>\)(?= )",
    r"[a-z_]+ \[[\w.]+\.c:<num>\]:",
    r"[a-z_]\w*\(\):",
    # OctoPrint's "Recv: //" and "Recv: !!"; icecast's module and function
    # ("connection/_handle_source_request "); Zigbee2MQTT 1.x's "Zigbee2MQTT:error <ts>: ".
    r"Recv: (?://|!!)",
    r"[a-z]+/_?[a-z]+_[a-z_]+(?= [A-Z])",
    r"<id>:[a-z]+ <ts>:",
    # BIRD's log class ("<RMT> "); vLLM's process and file ("(APIServer pid=<value>) ",
    # "async_llm.py:<num>] ").
    r"<(?:RMT|ERR|WARN|INFO|TRACE|AUTH|BUG|DBG)>",
    r"\([A-Z]\w* pid=<value>\)",
    r"[\w.-]+\.py:<num>\]",
    # Open Liberty's thread, logger and level letter ("<hex> com.ibm.ws.….LoginModule A ")
    # and its "[AUDIT   ]"; Tomcat's class and method before a capitalised message
    # ("org.apache.openejb.….Assembler.startEjbs Created …").
    r"(?:<hex>|<id>|<num>) [\w$]+(?:\.[\w$]+)+ +[AIWEOD](?= )",
    r"\[AUDIT *\]",
    r"[a-z][\w$]*(?:\.[\w$]+)*\.[A-Z][\w$]*\.[a-z][\w$]*(?= [A-Z])",
    # Gitea's "...routing/logger.go:<num>:func1()" (or "HTTPRequest") before its level letter.
    r"(?:(?:\.\.\.)?[\w./-]+\.go:<num>:[\w<>.]*\(\)|HTTPRequest)(?= \[[A-Z]\] )",
    # log4j's logger as Hadoop writes it ("org.apache.….ContainersMonitorImpl: ",
    # "monitor.ContainersMonitorImpl (ContainersMonitorImpl.java:run(<num>)) - "; an
    # exception's class before a colon stays).
    r"(?![\w.$]*" + EXCEPTION_SUFFIX + r":)[a-z][\w$]*(?:\.[\w$]+)+\.[A-Z][\w$]*:(?= )",
    r"[\w.$]+ \([\w$]+\.java:[\w$<>]+\(<num>\)\) -",
    # A program's tag before a capitalised message, in lower case ("flutter: A RenderFlex …";
    # a level's "error: " is the next layout's) or in capitals before a word ("NVRM: Xid …";
    # not "LDS: PUSH", "SSL: CERTIFICATE_…").
    r"(?!(?i:" + _LEVEL + r"):)(?:[a-z]{2,24}|[A-Z]{2,9}(?=: [A-Z][a-z])):(?= [A-Z])",
    # A level in lower case before the message, after the program's name or not (virsh's and
    # NSD's "error: ", Knot's "info: ", "VBoxManage: error: "; not Ansible's "fatal: ", a
    # task's outcome).
    r"(?:[\w.-]+: )?(?:debug|info|notice|warning|warn|error|err|crit|critical) ?:(?= )",
    # OpenStack's oslo.log: the logger and the request's context ("nova.compute.manager [None
    # req-<uuid> admin admin] "), and the instance ("[instance: <uuid>] ").
    r"(?:[a-z][\w$]*(?:\.[\w$]+)+ |<id> )?\[(?:None )?req-<uuid>[^\]]*\]",
    r"\[instance: <uuid>\]",
    # MySQL 8's thread, level, error code and subsystem ("1 [Note] [MY-011825] [Xtrabackup] ").
    r"<num> \[(?:Note|Warning|ERROR|System)\](?: \[<id>\] \[\w+\])?",
    # A mail queue's id before its message (Postfix's and its milters' "9B1C3F20A7: "; not an
    # id of letters and digits, which may be an error's code: "ORA-01654: ").
    r"<hex>:(?= )",
    # NiFi's thread and abbreviated logger before a capitalised message ("[NiFi Web Server-22]
    # o.a.n.c.s.StandardProcessScheduler Stopping …"; not an exception's class).
    r"(?:\[[^\]]*\] )?(?![\w.$]*" + EXCEPTION_SUFFIX + r")[a-z](?:\.[a-z])+\.[A-Z][\w$]*(?= [A-Z])",
    # radvd's program and pid; qBittorrent's level letter in brackets ("(W) ").
    r"[\w.-]+ \(<num>\):",
    r"\([NIWCDE]\)(?= )",
)
_HEADER_PART: Final = re.compile(r"^(?:" + "|".join(_HEADER_LAYOUTS) + r")(?: +|$|(?=\[))")
#: The logger's name Kafka's and ZooKeeper's layouts write after the message ("… (org.apache.
#: kafka.streams.KafkaStreams)", "… (org.apache.kafka.connect.runtime.WorkerTask:212)"), and
#: the context and extra Monolog writes after it ("… {"user":7} []", "… [] []").
_TRAILER: Final = re.compile(
    r" \((?:<name>|[a-z][\w$]*(?:\.[\w$]+){2,}(?::<num>)?)\)$|(?: (?:\[\]|\{\}|<doc>|<ctx>)){2}$"
)


def _strip_header(text: str) -> str:
    if text.endswith((")", "]", ">", "}")):  # a quick check before the trailer's scan
        text = _TRAILER.sub("", text)
    for _ in range(10):
        stripped = _HEADER_PART.sub("", text, count=1)
        if stripped == text or not stripped:
            return text
        text = stripped
    return text


def parameterise(text: str, limit: int = _MAX_TEXT) -> str:
    """Mask the variable parts of ``text``: times, ids, addresses, host names, paths, quoted
    values, durations, numbers and sizes, then any other word with a digit in it (an
    identifier), then lists of one kind of value (one value, however long); and drop what a
    logger writes before the message (:data:`_HEADER_PART`). A JSON log line is read for its
    message and error first (:func:`shared.structured_log.message_of`), so are a logfmt line
    (:func:`shared.structured_log.logfmt_message`) and an object inside
    the line, in JSON or as a Python dict's ``repr``
    (:func:`shared.structured_log.embedded_messages`), and at most ``limit`` characters of what
    they say are masked."""
    out = embedded_messages(logfmt_message(message_of(text)))[:limit]
    for pattern, mask in _MASKS:
        out = pattern.sub(mask, out)
    out = _NUMBER.sub("<num>", _IDENTIFIER.sub(_identifier, out))
    return _strip_header(_once(_SPACES.sub(" ", _LIST.sub(r"\1", out)).strip()))


#: A clause repeated at once is written once if it has at least this many tokens …
_REPEAT_MIN: Final = 3
#: … and at most this many.
_REPEAT_MAX: Final = 16


def _once(text: str) -> str:
    """``text`` with each clause that holds a value and comes again at once written once: a
    list of clauses as long as what it lists ("Process <num> has <num> memory in use.
    Process <num> has <num> memory in use."), like a list of values (:data:`_LIST`)."""
    if text.count("<") < 2:
        return text
    tokens = text.split(" ")
    values = [token for token in tokens if "<" in token]
    if len(set(values)) == len(values):  # a clause that comes again repeats its values
        return text
    at = 0
    while at < len(tokens):
        start = at + _REPEAT_MIN
        while True:  # where the token comes again, a clause's length on
            try:
                end = tokens.index(tokens[at], start, at + _REPEAT_MAX + 1)
            except ValueError:
                break
            size = end - at
            unit = tokens[at:end]
            if tokens[end : end + size] == unit and any("<" in token for token in unit):
                while tokens[end : end + size] == unit:
                    del tokens[end : end + size]
                break
            start = end + 1
        at += 1
    return " ".join(tokens)


def _value_word(word: str) -> str:
    """A word built around a masked value ("LOCAL(<num>)", "bx.example.asia:<num>",
    "<id>~<hex>~<id>", "{<uuid>}GLOBALROOT/Device/<id>/config"), or a masked value with
    punctuation after it ("<ip>:"), is one value, as any other word with a digit in it is one
    identifier; not a key=value pair (the key stays), nor words glued by commas or bars
    ("cancelNotification,index:<num>": the name is not part of the value). Checked word by word,
    in time linear in the word (a regular expression for it backtracks on a long word)."""
    core = word[:-1] if word.endswith(",") else word
    if "=" in word or "," in core or "|" in core or MASKED_VALUE.fullmatch(word):
        return word
    return "<value>" if MASKED_VALUE.search(core) else word


#: What stands for a run of values in a message's shape (:func:`shape`).
SHAPE_VALUE: Final = "<*>"
#: A message with fewer words than this keeps its masked text as its shape.
SHAPE_MIN_WORDS: Final = 3
#: A word of a message's shape: letters in any script (with an apostrophe inside: "isn't"), a
#: constant in upper snake case (SQLITE_CONSTRAINT_UNIQUE), an exception's class name with its
#: package or namespace (java.net.UnknownHostException, Illuminate\Database\QueryException), a
#: type in its module (Redis::CannotConnectError, ActiveRecord::RecordNotFound), or a type with
#: its parameter (vector<int>).
_SHAPE_WORD: Final = re.compile(
    r"[^\W\d_]+(?:'[^\W\d_]+)?"
    r"|[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+"
    r"|(?:[\w$]+[.\\])+[A-Z][\w$]*" + EXCEPTION_SUFFIX + r"|(?:\w+::)+[A-Z]\w*"
    r"|[^\W\d_][\w:]*<(?!" + _MASKED[1:] + r")[^\W\d_][\w:,]*>"
)
_SHAPE_EDGES: Final = "[](){}\"'`.,:;!?"


def _shape_word(token: str) -> bool:
    """Whether ``token`` is a word of a message's shape (:data:`_SHAPE_WORD`), its
    punctuation aside."""
    return _SHAPE_WORD.fullmatch(token.strip(_SHAPE_EDGES)) is not None


def shape(masked: str) -> str:
    """The shape of ``masked`` (text :func:`parameterise` masked): its words as they are
    written, and one :data:`SHAPE_VALUE` for each run of other tokens; ``masked`` itself when
    it has fewer than :data:`SHAPE_MIN_WORDS` words, so that messages of almost nothing but
    values (``KeyError: <str>``) keep what tells them apart.

    Masking knows the values it has rules for; what it has none for stays as written: a host
    name without a digit (``db-master.prod``), a queue or a job (``orders-tq``,
    ``cronjob/sync-ldap``), a module path (``billing_worker::jobs]``), a package
    (``epel-release``), and values that come one, two or three at a time (``Started <url>
    <str>``, ``Started <url> <str> <str>``). The words of a message are what its program wrote;
    any other token is something it was handed."""
    out: list[str] = []
    words = 0
    for token in masked.split(" "):
        if _shape_word(token):
            out.append(token)
            words += 1
        elif not out or out[-1] != SHAPE_VALUE:
            out.append(SHAPE_VALUE)
    return " ".join(out) if words >= SHAPE_MIN_WORDS else masked


_LEADING_VALUE: Final = SHAPE_VALUE + " "
_TRAILING_VALUE: Final = " " + SHAPE_VALUE
#: A tag in a shape's head: a level, in any case, with its brackets or its colon ("ERROR",
#: "[INFO]", "notice", "Error:"), or one word in brackets (a logger's "[deepspeed]", an
#: instance's "(VIP_INGRESS)").
_HEAD_TAG: Final = re.compile(r"[\[(]?(?i:" + _LEVEL + r")[\])]?[:,]?|[\[(][\w.:-]+[\])]:?")
#: A shape keeps its head of tags unless at least this many words follow it.
_HEAD_TAG_MIN_WORDS: Final = 3


def _without_head_tags(shaped: str) -> str:
    """``shaped`` (a shape) without the tags (:data:`_HEAD_TAG`) and values it begins with,
    when there is a tag and :data:`_HEAD_TAG_MIN_WORDS` words follow: what is left of a
    layout that masking does not know (sing-box's ``INFO <*> inbound connection from``, F5's
    ``notice <*> Pool …``, lsyncd's ``Error: Temporary or permanent failure …``, DeepSpeed's
    ``[INFO] <*> [deepspeed] OVERFLOW! …``) is one problem with the message alone."""
    tokens = shaped.split(" ")
    at = 0
    tags = 0
    while at < len(tokens):
        if _HEAD_TAG.fullmatch(tokens[at]):
            tags += 1
        elif tokens[at] != SHAPE_VALUE:
            break
        at += 1
    rest = tokens[at:]
    if not tags or sum(token != SHAPE_VALUE for token in rest) < _HEAD_TAG_MIN_WORDS:
        return shaped
    return " ".join(rest)


#: A shape of this many words or more before a sentence's end is named by that sentence.
_SENTENCE_MIN_WORDS: Final = 6


def _first_sentence(shaped: str) -> str:
    """``shaped`` (a shape) up to the end of its first sentence, when the sentence has at
    least :data:`_SENTENCE_MIN_WORDS` words and more follows: a sentence that long names the
    problem, and what follows it is detail or advice that carries names of its own (Exchange's
    ``… could not find a certificate that contains the domain name <*> in the personal store
    on the local computer.``, then the connector's name and what to do)."""
    tokens = shaped.split(" ")
    words = 0
    for at, token in enumerate(tokens[:-1]):
        if token != SHAPE_VALUE:
            words += 1
            if words >= _SENTENCE_MIN_WORDS and token.endswith((".", "!", "?")):
                return " ".join(tokens[: at + 1])
    return shaped


#: A layout's head before a dash (``Flow run 'brave-otter' - Finished …``, a logger's name
#: and a user's, ``jenkins org.sonatype…HttpClientFacetImpl - Repository …``) has at most this
#: many tokens, and this many words follow it.
_DASH_HEAD: Final = 3
_DASH_HEAD_MIN_WORDS: Final = 3


def _without_dash_head(masked: str) -> str:
    """``masked`` (parameterised text) without a head before a lone ``-``: at most
    :data:`_DASH_HEAD` tokens, one of them a value (a run's name, a logger's, a user's), when
    :data:`_DASH_HEAD_MIN_WORDS` words follow. Such a head is what a layout masking does not
    know writes before a message, which other lines of the same message leave out. A head of
    words alone stays (``Connection refused - connect(2) …``): it is the message."""
    head = masked.split(" ", _DASH_HEAD + 1)[: _DASH_HEAD + 1]
    if "-" not in head[1:]:
        return masked
    at = head.index("-", 1)
    rest = masked.split(" ")[at + 1 :]
    if all(map(_shape_word, head[:at])) or sum(map(_shape_word, rest)) < _DASH_HEAD_MIN_WORDS:
        return masked
    return " ".join(rest)


#: A detail in brackets ending a message: keys, each with its value (unbound's ``(len 28)``, a
#: script's ``(line 3, col 5)``, ``(pid=4242)``).
_DETAIL_TAIL: Final = re.compile(
    r" \([a-z][\w-]*(?:[:=] ?| )<\w+>(?:,? [a-z][\w-]*(?:[:=] ?| )<\w+>)*\)\.?$"
)
#: A message keeps its detail unless at least this many tokens come before it.
_DETAIL_TAIL_CONTEXT: Final = 4


def _without_detail_tail(masked: str) -> str:
    """``masked`` (parameterised text) without a detail in brackets at its end
    (:data:`_DETAIL_TAIL`) after :data:`_DETAIL_TAIL_CONTEXT` tokens: some lines of a message
    give it and others not (unbound's ``udp connect failed: Address not available for <ip>
    port <num> (len <num>)``). A bracket of words alone (``failed (timeout)``) stays: it names
    the problem."""
    found = _DETAIL_TAIL.search(masked)
    if found is None or masked.count(" ", 0, found.start()) < _DETAIL_TAIL_CONTEXT - 1:
        return masked
    return masked[: found.start()]


def _problem_text(title: str) -> str:
    """What a message's fingerprint hashes: the shape (:func:`shape`) of its parameterised
    text without a value at either end, since what a program writes before its first word and
    after its last is the header and the detail some messages carry and others leave out
    (``<*> Failed to interview <*> device has not successfully been paired`` and ``Failed to
    interview …``); a title too short for a shape keeps its masked text, each word built
    around a value one value, and every kind of value alike. Either way without a head before
    a dash (:func:`_without_dash_head`) or of tags (:func:`_without_head_tags`), without a
    detail in brackets at its end (:func:`_without_detail_tail`), and only up to the end of a
    long first sentence (:func:`_first_sentence`). A stack trace in the title is left out
    (:func:`shared.stack_trace.error_text`): it says where the error was raised, not what it is."""
    masked = _without_detail_tail(_without_dash_head(parameterise(error_text(title))))
    shaped = shape(masked)
    if shaped != masked:
        problem = shaped.removeprefix(_LEADING_VALUE).removesuffix(_TRAILING_VALUE)
    else:  # fewer than three words, or no value at all
        words = masked.split(" ")
        problem = MASKED_VALUE.sub(
            "<*>", " ".join(_value_word(w) if "<" in w else w for w in words)
        )
    return _first_sentence(_without_head_tags(problem))


def fingerprint(
    *,
    kind: GroupingKind,
    parts: Sequence[str],
) -> str:
    """Return the stable fingerprint (32 hex characters) for a grouping ``kind`` and its ``parts``.

    For ``kind="message"`` pass ``[service, title]``: the title is parameterised here, so two
    messages that differ only in their variable parts share a fingerprint, whatever kind of value
    each part was masked as (``<ip>`` or ``<host>``) and whatever word was built around it
    (``LOCAL(<num>)`` or ``<ip>``).
    """
    if not parts:
        raise ValueError("fingerprint needs at least one part")
    basis = [*parts[:-1], _problem_text(parts[-1])] if kind == "message" else list(parts)
    digest = hashlib.sha256("\x1f".join([kind, *basis]).encode("utf-8"))
    return digest.hexdigest()[:32]
