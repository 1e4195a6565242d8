from __future__ import annotations

import json

import pytest

from services.analyzer.templates import MAX_CHARS, TemplateMiner, mining_text
from shared.fingerprint import fingerprint, parameterise
from shared.structured_log import (
    MAX_EMBEDDED,
    MAX_OBJECT,
    MAX_PARSED,
    embedded_messages,
    logfmt_message,
    message_of,
)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        # zap: msg and error.
        (
            '{"level":"error","ts":1718180102.1,"caller":"db/pool.go:88",'
            '"msg":"failed to connect","error":"dial tcp 10.0.0.5:5432: connect: refused"}',
            "failed to connect | dial tcp 10.0.0.5:5432: connect: refused",
        ),
        # pino: a nested error, its type before its message.
        (
            '{"level":50,"time":1718180102123,"pid":7,"hostname":"api-1","msg":"request failed",'
            '"err":{"type":"Error","message":"read ECONNRESET","stack":"Error: read…"}}',
            "request failed | Error: read ECONNRESET",
        ),
        # ECS and Serilog-style "message", Cloud Logging's jsonPayload and textPayload.
        ('{"@timestamp":"2024-06-12T08:15:02Z","message":"disk full"}', "disk full"),
        ('{"severity":"ERROR","jsonPayload":{"message":"quota exceeded"}}', "quota exceeded"),
        ('{"severity":"ERROR","textPayload":"OOMKilled"}', "OOMKilled"),
        # NXLog's Windows events, GELF.
        (
            '{"EventID":4740,"Hostname":"dc01","Message":"A user account was locked out."}',
            "A user account was locked out.",
        ),
        ('{"version":"1.1","host":"web-2","short_message":"disk full","level":3}', "disk full"),
        # An error alone.
        ('{"level":"error","error":"context deadline exceeded"}', "context deadline exceeded"),
        # No message and no error, no object, or no JSON: the line as it is.
        ('{"level":"info","took_ms":12}', '{"level":"info","took_ms":12}'),
        ('["msg", "x"]', '["msg", "x"]'),
        ("{not json}", "{not json}"),
        ("plain text", "plain text"),
    ],
)
def test_the_message_and_error_of_a_json_log_line(line: str, expected: str) -> None:
    assert message_of(line) == expected


def test_a_json_line_too_long_to_parse_is_left_alone() -> None:
    line = json.dumps({"msg": "x", "pad": "y" * MAX_PARSED})
    assert message_of(line) == line


def test_json_log_lines_are_problems_by_their_message_not_one_document() -> None:
    def line(msg: str, ts: int, host: str) -> str:
        return json.dumps({"level": "error", "ts": ts, "host": host, "msg": msg})

    refused = [
        line(f"connect to 10.0.0.{n}:5432 refused", 1718180100 + n, f"api-{n}") for n in (1, 2)
    ]
    full = line("disk /dev/sda1 full", 1718180109, "api-3")

    def fp(text: str) -> str:
        return fingerprint(kind="message", parts=["api", text])

    assert fp(refused[0]) == fp(refused[1]) != fp(full)
    assert parameterise(refused[0]) == "connect to <ip> refused"
    miner = TemplateMiner()
    first, second, other = (miner.add(text) for text in (*refused, full))
    assert first.pattern_id == second.pattern_id != other.pattern_id
    assert first.template == "connect to <*> refused"


def test_a_json_line_longer_than_what_is_mined_is_read_before_it_is_cut() -> None:
    line = json.dumps({"msg": "connect to 10.0.0.1 refused", "stack": "at x\n" * 500})
    assert len(line) > MAX_CHARS
    assert mining_text(line) == "connect to <*> refused"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Ansible's failed task: the module's msg stands for the result object.
        (
            'fatal: [web-01]: FAILED! => {"changed": false, "msg": "No package matching '
            "'php8.2-fpm' is available\"}",
            "fatal: [web-01]: FAILED! => No package matching 'php8.2-fpm' is available",
        ),
        # An API's error body after its status, with text after it.
        (
            'GET /repos/x responded 404: {"message":"Not Found","documentation_url":'
            '"https://docs.github.com/rest"} (attempt 2)',
            "GET /repos/x responded 404: Not Found (attempt 2)",
        ),
        # A Python client prints the body as a dict's repr.
        (
            "postgrest.exceptions.APIError: {'code': 'PGRST205', 'details': None, 'hint': None, "
            "'message': \"Could not find the table 'public.orders' in the schema cache\"}",
            "postgrest.exceptions.APIError: Could not find the table 'public.orders' in the "
            "schema cache",
        ),
        # A nested error, its type before its message; a brace inside a quoted value is text.
        (
            'upstream said {"error": {"type": "Throttled", "message": "slow {down}"}} twice',
            "upstream said | Throttled: slow {down} twice",
        ),
        # An object with neither that is all a line says, alone or after a header or a
        # runner's prefix: its keys (an access log's JSON line); after a word or a tab, or
        # with text after it, it stays.
        ('{"time": "t", "remote_ip": "::1", "status": 204}', "time remote_ip status"),
        (
            'Jun 11 07:05:44 gw api[931]: {"time": "t", "uri": "/"}',
            "Jun 11 07:05:44 gw api[931]: time uri",
        ),
        ('api-1  | {"time": "t", "uri": "/"}', "api-1  | time uri"),
        ('payload {"user": "bob", "id": 7}', 'payload {"user": "bob", "id": 7}'),
        ('acquiring lock\t{"identifier": "x"}', 'acquiring lock\t{"identifier": "x"}'),
        ('{"time": "t"} rejected', '{"time": "t"} rejected'),
        # An API's errors as a list: the first one's message.
        (
            'error.go:61]: {"errors":[{"code":"NOT_FOUND","message":"blob x not found"}]}',
            "error.go:61]: | blob x not found",
        ),
        # Two objects, one with a message and one without (a logger's fields stay).
        (
            'a {"msg": "first"} b {"kind": "exporter", "dropped": 3}',
            'a first b {"kind": "exporter", "dropped": 3}',
        ),
        # No object: a brace without a quoted key, one never closed, one that is no literal.
        ("dup key: { _id: 1 }", "dup key: { _id: 1 }"),
        ('cut off {"msg": "never closed', 'cut off {"msg": "never closed'),
        ("odd {'msg': f(x)} here", "odd {'msg': f(x)} here"),
    ],
)
def test_an_object_inside_a_line_stands_for_its_message_and_error(text: str, expected: str) -> None:
    assert embedded_messages(text) == expected


def test_objects_inside_a_line_are_read_within_their_limits() -> None:
    many = " ".join(f'{{"msg": "m{n}"}}' for n in range(MAX_EMBEDDED + 1))
    read = embedded_messages(many).split(" ")
    assert read[:MAX_EMBEDDED] == [f"m{n}" for n in range(MAX_EMBEDDED)]
    assert read[MAX_EMBEDDED:] == ['{"msg":', f'"m{MAX_EMBEDDED}"}}']
    too_long = '{"msg": "x", "pad": "' + "y" * MAX_OBJECT + '"}'
    assert embedded_messages(too_long) == too_long


def test_failures_told_apart_by_the_message_inside_an_object_are_two_problems() -> None:
    def result(host: str, msg: str) -> str:
        return f'fatal: [{host}]: FAILED! => {{"changed": false, "msg": "{msg}"}}'

    missing = [
        result(h, f"No package matching '{p}' is available")
        for h, p in (("web-01", "php8.2-fpm"), ("10.0.12.5", "libssl1.1"))
    ]
    locked = result("web-02", "Failed to lock apt for exclusive operation")

    def fp(text: str) -> str:
        return fingerprint(kind="message", parts=["ansible", text])

    assert fp(missing[0]) == fp(missing[1]) != fp(locked)
    miner = TemplateMiner()
    first, second, other = (miner.add(text) for text in (*missing, locked))
    assert first.pattern_id == second.pattern_id != other.pattern_id


def test_a_console_line_with_its_fields_in_an_object_reads_as_its_json_line() -> None:
    console = (
        "2024-06-12T08:15:02.123Z\tERROR\tdb/pool.go:88\tfailed to connect\t"
        '{"error": "dial tcp 10.0.0.5:5432: connect: refused"}'
    )
    json_line = (
        '{"level":"error","ts":1718180102.1,"caller":"db/pool.go:88",'
        '"msg":"failed to connect","error":"dial tcp 10.0.0.7:5432: connect: refused"}'
    )
    assert parameterise(console) == parameterise(json_line)
    assert parameterise(console) == "failed to connect | dial tcp <ip>: connect: refused"
    assert fingerprint(kind="message", parts=["api", console]) == fingerprint(
        kind="message", parts=["api", json_line]
    )


def test_a_document_nested_deeper_than_a_parser_goes_is_left_alone() -> None:
    nested = '{"a":[' * 500 + "1" + "]}" * 500
    assert message_of(nested) == nested
    assert embedded_messages("x " + nested) == "x " + nested
    assert parameterise("x " + nested).startswith("x ")


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        # logrus's text line, with an error; after a syslog header or a runner's prefix.
        (
            'time="2025-01-04T02:18:33Z" level=info msg="Handshake timed out" durationNs=97312'
            ' handshake="map[stage:1 style:ix_psk0]" vpnIp=10.1.1.4',
            "Handshake timed out",
        ),
        (
            'navidrome  | time="2024-09-03T06:12:44Z" level=warning msg="API: Invalid login"'
            ' error="invalid authentication" username=admin',
            "API: Invalid login | invalid authentication",
        ),
        # A count of errors is no error (only a JSON document's list of errors is read).
        ('level=info msg="sync done" errors=0 took=3ms', "sync done"),
        # Go kit's, a bare message.
        ("ts=2024-06-12T08:15:02Z caller=main.go:88 level=error msg=shutdown", "shutdown"),
        # Not a logfmt line: pairs with commas between them (Keycloak's event), a key twice
        # (auditd's msg=audit(…) and msg='…'), no message (klog's err=), fewer than three.
        (
            "type=LOGIN_ERROR, realmId=b2c, clientId=app, error=invalid_user_credentials",
            "type=LOGIN_ERROR, realmId=b2c, clientId=app, error=invalid_user_credentials",
        ),
        (
            "type=SERVICE_START msg=audit(17182.004:377): pid=1 msg='unit=pg comm=\"systemd\"'",
            "type=SERVICE_START msg=audit(17182.004:377): pid=1 msg='unit=pg comm=\"systemd\"'",
        ),
        (
            '"Reconciler error" err="conflict" controller="vm" name=a',
            '"Reconciler error" err="conflict" controller="vm" name=a',
        ),
        ('level=error msg="disk full"', 'level=error msg="disk full"'),
    ],
)
def test_the_message_and_error_of_a_logfmt_line(line: str, expected: str) -> None:
    assert logfmt_message(line) == expected


def test_a_logfmt_line_is_one_problem_with_its_json_line() -> None:
    text = 'time="2025-03-02T19:05:44Z" level=info msg="Handshake timed out" remoteIndex=0 a=1'
    json_line = json.dumps({"level": "info", "msg": "Handshake timed out", "remoteIndex": 0})
    assert fingerprint(kind="message", parts=["nebula", text]) == fingerprint(
        kind="message", parts=["nebula", json_line]
    )
    miner = TemplateMiner()
    assert miner.add(text).pattern_id == miner.add(json_line).pattern_id


@pytest.mark.timeout(60)
def test_a_hostile_line_of_pairs_is_read_in_one_pass() -> None:
    # Runs of pairs broken at their very end: a search for the run that ends the line, tried
    # from every pair, took seconds each (1.4 s at 16 KB, quadratic); the test's timeout is
    # the bound.
    size = MAX_PARSED - 8
    for ending in ('"', " x", " '", ","):
        line = ("a=b " * (size // 4)) + ending
        assert logfmt_message(line) == line
        assert parameterise(line)


def test_lines_that_are_documents_without_a_message_are_told_apart_by_their_fields() -> None:
    # Each read as one document (<doc>), two kinds of line were one pattern and one problem.
    access = [
        json.dumps({"time": f"2026-04-0{n}T09:17:21Z", "remote_ip": f"10.0.0.{n}", "status": 200})
        for n in (1, 2)
    ]
    stats = json.dumps({"ts": 1718180102, "queue_depth": 12, "workers": 4})
    miner = TemplateMiner()
    first, second, other = (miner.add(f"api[931]: {line}") for line in (*access, stats))
    assert first.pattern_id == second.pattern_id != other.pattern_id

    def fp(text: str) -> str:
        return fingerprint(kind="message", parts=["api", text])

    assert fp(access[0]) == fp(access[1]) != fp(stats)
