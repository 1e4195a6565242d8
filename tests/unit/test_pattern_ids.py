"""Pattern ids: one id for a pattern's whole life while its template generalises; the oldest
related pattern wins; miners that learn one shape agree."""

from __future__ import annotations

import random

import pytest

from services.analyzer.pattern_ids import (
    Recorded,
    Registry,
    generalises,
    new_pattern_id,
    optional_head,
    optional_tail,
    optional_value,
    resolve,
    spanned,
)
from services.analyzer.templates import TemplateMiner, mining_text
from tests.unit.log_layouts import LAYOUTS


def test_a_pattern_keeps_its_id_while_its_template_generalises() -> None:
    miner = TemplateMiner()
    first = miner.add("Session of OrdersService closed by peer")
    second = miner.add("Session of BillingService closed by peer")
    third = miner.add("Session of UsersService closed by peer")
    assert first.template == "Session of OrdersService closed by peer"
    assert second.template == third.template == "Session of <*> closed by peer"
    assert first.pattern_id == second.pattern_id == third.pattern_id
    assert first.pattern_id == new_pattern_id(first.template)  # born with its first template
    assert miner.history(first.pattern_id) == [first.template, second.template]


def test_different_shapes_get_different_ids() -> None:
    miner = TemplateMiner()
    closed = miner.add("Session of OrdersService closed by peer")
    refused = miner.add("Connection to db-7 refused after 31 ms")
    assert closed.pattern_id != refused.pattern_id
    assert miner.add("Session of BillingService closed by peer").pattern_id == closed.pattern_id


def test_miners_that_learn_from_the_same_first_message_agree_without_talking() -> None:
    a, b = TemplateMiner(), TemplateMiner()
    assert (
        a.add("Disk /dev/sda1 is 93% full").pattern_id
        == b.add("Disk /dev/sdb2 is 97% full").pattern_id
    )


def test_generalises_is_per_token_and_needs_the_same_length() -> None:
    assert generalises(["user", "<*>", "in"], ["user", "bob", "in"])
    assert not generalises(["user", "bob", "in"], ["user", "<*>", "in"])
    assert not generalises(["user", "<*>"], ["user", "bob", "in"])
    assert generalises(["a", "b"], ["a", "b"])


def test_resolve_picks_the_oldest_related_pattern() -> None:
    registry = Registry(
        [
            Recorded(1, "job <*> done", "pat_old"),
            Recorded(2, "job 7 done", "pat_young"),
            Recorded(3, "disk full", "pat_disk"),
        ]
    )
    assert resolve("job 7 done", [registry]) == "pat_old"  # held by the young one, related to both
    assert resolve("job 9 done", [registry]) == "pat_old"  # generalised by the old one's template
    assert resolve("<*> <*> done", [registry]) == "pat_old"  # generalises both
    assert resolve("disk full", [registry]) == "pat_disk"
    assert resolve("disk empty", [registry]) == new_pattern_id("disk empty")
    staged = Registry([Recorded(1, "job <*> <*>", "pat_staged")])
    assert resolve("job 5 done", [registry, staged]) == "pat_old"  # every stored one is older


def test_a_template_belongs_to_the_first_pattern_that_recorded_it() -> None:
    registry = Registry([Recorded(2, "x <*>", "pat_b"), Recorded(1, "x <*>", "pat_a")])
    assert registry.owner("x <*>") == "pat_a"
    assert registry.seq == 2
    assert registry.templates("pat_b") == []


def test_values_of_different_kinds_at_one_place_are_one_shape() -> None:
    miner = TemplateMiner()
    by_name = miner.add("KeyError: 'customer_id'")
    by_number = miner.add("KeyError: 4412")
    assert by_number.pattern_id == by_name.pattern_id
    assert by_number.template == "KeyError: <*>"
    assert (
        miner.add("Order 4412 not found").pattern_id != miner.add("User 4412 not found").pattern_id
    )


def test_an_optional_tail_of_values_is_the_same_shape() -> None:
    miner = TemplateMiner()
    line = 'upstream timed out while reading header, client: 10.0.0.{n}, host: "api{n}"'
    short = [miner.add(line.format(n=n)) for n in range(3)]
    longer = miner.add(line.format(n=7) + ', upstream: "http://10.0.0.9:8080/"')
    assert longer.pattern_id == short[0].pattern_id
    assert longer.cluster_id != short[0].cluster_id  # two clusters of Drain, one pattern
    worded = TemplateMiner()  # a tail of words is another shape
    first = [worded.add(line.format(n=n)) for n in range(3)]
    assert worded.add(line.format(n=8) + " after retries").pattern_id != first[0].pattern_id
    assert not optional_tail(["disk", "full", "<num>"], ["disk", "full"])


def test_optional_tail_needs_the_same_start_and_only_values_after_it() -> None:
    start = ["a", "b", "c", "d", "e", "<num>"]
    assert optional_tail([*start, "host:", "<str>"], start)
    assert optional_tail([*start[:-1], "<num>,", "host:", "<str>"], start)  # its comma aside
    assert not optional_tail([*start, "host:", "<str>"], [*start[:-1], "f"])
    assert not optional_tail([*start, "then", "<str>"], start)
    assert not optional_tail([*start, *["<num>"] * 5], start)  # at most OPTIONAL_TAIL


def test_a_program_name_with_a_masked_pid_does_not_split_a_shape() -> None:
    miner = TemplateMiner()
    worker = miner.add("worker[311]: lost connection to broker after 3 retries, giving up")
    beat = miner.add("scheduler[9]: lost connection to broker after 5 retries, giving up")
    assert beat.pattern_id == worker.pattern_id


def test_templates_of_different_lengths_are_one_shape_only_with_three_words_in_common() -> None:
    miner = TemplateMiner()
    for path in ("/orders/1", "/carts/9/items"):
        started = miner.add(f'Started GET "{path}" for 10.0.0.7 at 2024-06-12 08:15:02 +0000')
    killed = miner.add(
        "612.047 memorystatus: killing_specific_process pid 633 [NotificationServ] 51200KB"
    )
    assert killed.pattern_id != started.pattern_id
    # Each <*> is alike the other template's word, so only shared words can tell them apart.
    shorter = _tokens("Started <*> for <*> at <*>")
    assert not optional_tail(_tokens("<*> memorystatus: <*> pid <*> [Notify] <*>"), shorter)
    assert not optional_value(_tokens("<*> memorystatus: <*> pid <*> [Notify] <*>"), shorter)
    assert optional_tail([*shorter, "<num>"], shorter)  # three words in common
    two_words = _tokens("Started <*> for <*> <*> <*>")
    assert not optional_tail([*two_words, "<num>"], two_words)
    assert optional_value(_tokens("Started <*> <*> for <*> at <*> ok"), [*shorter, "ok"])


def test_a_tag_before_a_message_is_the_same_shape() -> None:
    miner = TemplateMiner()
    bare = [miner.add(f"A RenderFlex overflowed by {n} pixels on the right.") for n in (8, 63)]
    tagged = miner.add("flutter-web: A RenderFlex overflowed by 99372 pixels on the right.")
    assert tagged.pattern_id == bare[0].pattern_id
    assert tagged.cluster_id != bare[0].cluster_id  # two clusters of Drain, one pattern
    other = miner.add("flutter-web: A RenderFlex overflowed by 12 pixels on the bottom.")
    assert other.pattern_id != bare[0].pattern_id  # a word that differs is another shape


def test_a_short_head_before_three_words_is_the_same_shape() -> None:
    miner = TemplateMiner()
    bare = [miner.add(f"Retrying startup of /srv/{name}") for name in ("www", "data")]
    tagged = miner.add("Normal, Retrying startup of /srv/www")
    named = miner.add("Flow run 'brave-otter' Retrying startup of /srv/www")
    assert tagged.pattern_id == named.pattern_id == bare[0].pattern_id
    assert miner.add("Normal, Retrying shutdown of /srv/www").pattern_id != bare[0].pattern_id


def test_optional_head_needs_three_words_as_they_are_after_at_most_three_tokens() -> None:
    shorter = _tokens("Xid <*> Graphics SM Exception on <*>")
    assert optional_head(["NVRM:", *shorter], shorter)
    assert optional_head(["<*>", "NVRM:", *shorter], shorter)
    assert optional_head(["Flow", "run", "<*>", *shorter], shorter)  # a run's name
    assert not optional_head(["a", "b", "c", "d", *shorter], shorter)  # three tokens at most
    assert not optional_head(["NVRM:", *shorter[:-1], "now"], shorter)  # a value is no word
    three = _tokens("Retrying startup of <*>")
    assert optional_head(["Normal,", *three], three)
    two = _tokens("Connection closed <*>")
    assert not optional_head(["sshd:", *two], two)  # two words: too few to say


def test_a_head_of_up_to_six_tokens_needs_six_words_after_it() -> None:
    shorter = _tokens("OVERFLOW! Rank <*> Skipping step. Attempted loss scale: <*>")
    head = ["<*>", "[INFO]", "<*>", "[deepspeed]"]
    assert optional_head([*head, *shorter], shorter)
    assert optional_head(["a", "b", *head, *shorter], shorter)  # six tokens
    assert not optional_head(["a", "b", "c", *head, *shorter], shorter)  # seven
    five = _tokens("Failed password for <*> from <*> port <*>")
    # syslog's "message repeated 3 times: [ …": five words are too few after a long head
    assert not optional_head(["message", "repeated", "<*>", "times:", "<*>", *five], five)


def test_a_value_before_three_words_is_an_optional_head() -> None:
    shorter = _tokens("Sending packet MESSAGE data <*>")
    assert optional_head(["<*>", *shorter], shorter)
    assert optional_head(["<num>", *shorter], shorter)
    assert optional_head(["Engine:", *shorter], shorter)
    three = _tokens("Node <*> was successful")
    assert optional_head(["<*>", *three], three)
    two = _tokens("Node <*> successful")
    assert not optional_head(["<*>", *two], two)  # two words: too few to say


def test_a_layout_before_a_message_is_the_same_shape() -> None:
    miner = TemplateMiner()
    bare = miner.add(
        "error processing spec.data[1] (key: prod/payments/stripe), err: Secret does not exist"
    )
    event = miner.add(
        "  Warning  UpdateFailed  3m12s (x4 over 5m40s)  external-secrets  error processing"
        " spec.data[2] (key: team-a/orders-api/db), err: Secret does not exist"
    )
    assert event.pattern_id == bare.pattern_id
    assert event.cluster_id != bare.cluster_id  # two clusters of Drain, one pattern


def test_one_value_more_in_the_middle_is_the_same_shape() -> None:
    start = ["json:", "cannot", "unmarshal", "number"]
    end = ["into", "Go", "struct", "field", "<*>", "of", "type", "<*>"]
    assert optional_value([*start, "<num>", *end], [*start, *end])
    assert optional_value([*start, "<num>", *end], ["json:", "cannot", "unmarshal", "<*>", *end])
    assert not optional_value([*start, "then", *end], [*start, *end])  # a word is no value
    # A shape writes every value as <*>, so a wildcard counts as one, wherever it is alike.
    assert optional_value([*start, "<*>", *end], [*start, *end])
    assert optional_value([*start, "<*>", *end], ["json:", "cannot", "unmarshal", "<*>", *end])
    assert not optional_value(["<num>", *start, *end], [*start, *end])  # not as the first token
    assert not optional_value(["a", "<num>", "b", "c"], ["a", "b", "c"])  # too short to say


def _tokens(template: str) -> list[str]:
    return template.split()


def test_a_value_of_several_words_is_the_same_shape_from_either_side() -> None:
    miner = TemplateMiner()
    hosts = [miner.add(f"[RECOVERY] Host {name} is UP!") for name in ("web-04.prod", "nfs-01")]
    named = miner.add("[RECOVERY] Host Branch Office Firewall is UP!")
    assert named.pattern_id == hosts[0].pattern_id
    assert named.cluster_id != hosts[0].cluster_id  # two clusters of Drain, one pattern
    first = TemplateMiner()  # the several words first, the <*> later: the older pattern wins
    older = first.add("Job maintenance.Purge Expired Sessions threw an unhandled Exception:")
    later = first.add("Job billing.3f9e1c2a threw an unhandled Exception:")
    assert later.pattern_id == older.pattern_id


def test_a_run_of_words_inside_a_message_must_not_hold_a_lower_case_word() -> None:
    miner = TemplateMiner()
    root = miner.add("Failed password for root from 10.0.0.1 port 22 ssh2")
    invalid = miner.add("Failed password for invalid user admin from 10.0.0.2 port 22 ssh2")
    assert invalid.pattern_id != root.pattern_id
    assert not spanned(
        _tokens("Failed password for invalid user <*> from <*> port <*>"),
        _tokens("Failed password for <*> from <*> port <*>"),
    )


def test_spanned_needs_three_words_at_their_places_and_a_run_that_ends_in_a_value() -> None:
    shorter = _tokens("<*> switched from RUNNING to FAILED on <*>")
    assert spanned(_tokens("Source: <*> Map <*> switched from RUNNING to FAILED on <*>"), shorter)
    assert not spanned(
        _tokens("Source: <*> Map <*> switched from RUNNING to FINISHED on <*>"), shorter
    )
    assert not spanned(_tokens("Host Branch Office is UP!"), _tokens("Host <*> UP!"))  # two words
    # At the end, a run ends in a value: a word there may be a constant (a protocol).
    proxy = _tokens("<*> open through proxy <*>")
    assert not spanned(_tokens("<*> open through proxy <*> HTTPS"), proxy)
    range_ = _tokens("panic: runtime error: index out of range <*>")
    assert spanned([*range_, "with", "length", "<*>"], range_)
    assert not spanned([*range_, "user=<value>", "<*>"], range_)  # no key=value pair in a run
    assert not spanned(shorter, shorter)  # a run is longer than one token


def test_a_cluster_mined_apart_joins_the_older_pattern_once_a_template_relates_them() -> None:
    miner = TemplateMiner()
    first = miner.add(
        "cache refresh of segment OrdersCache into local store failed with status error"
    )
    apart = miner.add(
        "cache refresh of segment BillingCache 15 into local store failed with status error"
    )
    assert apart.pattern_id != first.pattern_id  # Drain, comparing one length, mined two shapes
    general = miner.add(
        "cache refresh of segment UsersCache into local store failed with status error"
    )
    assert general.pattern_id == first.pattern_id
    again = miner.add(
        "cache refresh of segment BillingCache 25 into local store failed with status error"
    )
    assert again.cluster_id == apart.cluster_id
    assert again.pattern_id == first.pattern_id  # the later occurrence joins the older pattern


def test_words_that_name_states_keep_shapes_apart_and_values_do_not() -> None:
    miner = TemplateMiner()
    code = "io.grpc.StatusRuntimeException: {} on call orders.Get after 120 ms from pod a-1"
    assert (
        miner.add(code.format("DEADLINE_EXCEEDED")).pattern_id
        != miner.add(code.format("RESOURCE_EXHAUSTED")).pattern_id
    )
    state = "Container container_1445_0007 transitioned from NEW to {} on node n-{}"
    assert miner.add(state.format("RUNNING", 1)).pattern_id != (
        miner.add(state.format("FAILED", 2)).pattern_id
    )
    proxy = "10.0.0.{} open through proxy proxy.example.com:5070 {}"
    assert miner.add(proxy.format(1, "HTTPS")).pattern_id != (
        miner.add(proxy.format(2, "SOCKS")).pattern_id
    )
    instance = "[instance: 96abccce-8d1f-4e07-b6d1-4b2ab87e23b4] Instance {} successfully."
    assert miner.add(instance.format("spawned")).pattern_id != (
        miner.add(instance.format("destroyed")).pattern_id
    )
    field = "HBM {} =38 for display 0 at level {}"
    assert miner.add(field.format("brightnessIn", 1)).pattern_id != (
        miner.add(field.format("brightnessOut", 2)).pattern_id
    )
    queue = "Queue {} drained by worker w-{} after backlog"
    assert miner.add(queue.format("OrdersQueue", 1)).pattern_id == (
        miner.add(queue.format("BillingQueue", 2)).pattern_id
    )
    user = "Connection closed by authenticating user {} 10.0.0.9 port 22 [preauth]"
    assert miner.add(user.format("root")).pattern_id == miner.add(user.format("deploy")).pattern_id
    call = 'I/O error on {} request for "http://a/b": Connection refused; nested exception'
    assert miner.add(call.format("GET")).pattern_id == miner.add(call.format("POST")).pattern_id


def test_lower_case_words_that_differ_are_two_shapes_from_the_first_message() -> None:
    miner = TemplateMiner()
    cancel = "ERROR:  canceling statement due to {} timeout at {}"
    statement = miner.add(cancel.format("statement", 1)).pattern_id
    lock = miner.add(cancel.format("lock", 2)).pattern_id
    assert lock != statement  # the second message, yet another word: another shape
    assert miner.add(cancel.format("statement", 3)).pattern_id == statement
    assert miner.add(cancel.format("lock", 4)).pattern_id == lock
    closing = "C-0x{}: shop/app@10.0.0.{}:5432 closing because: client {} (age=3s)"
    request = miner.add(closing.format("aa01", 1, "close request")).pattern_id
    eof = miner.add(closing.format("bb02", 2, "unexpected eof")).pattern_id
    assert eof != request
    assert miner.add(closing.format("cc03", 3, "close request")).pattern_id == request
    link = "mlx5_core 0000:af:00.{} ens{}f1np1: Link {}"
    up = miner.add(link.format(1, 5, "up")).pattern_id
    assert miner.add(link.format(0, 6, "down")).pattern_id != up  # two letters are a word too
    assert miner.add(link.format(0, 7, "up")).pattern_id == up
    # A bare lower-case name is a constant too, as the fingerprint takes it ...
    printer = "Printer {} went offline at the office"
    assert miner.add(printer.format("alice")).pattern_id != (
        miner.add(printer.format("bob")).pattern_id
    )
    # ... unless a phrase names it as a value, which masking writes as one before mining.
    session = "Session for user {} closed by peer"
    assert miner.add(session.format("alice")).pattern_id == (
        miner.add(session.format("bob")).pattern_id
    )
    # A template holding <*> keeps it: a word there is a value.
    named = "Worker {} lost its lease on the deadline"
    general = miner.add(named.format("OrdersWorker"))
    assert (
        miner.add(named.format("BillingWorker")).template
        == "Worker <*> lost its lease on the deadline"
    )
    assert miner.add(named.format("mailer")).pattern_id == general.pattern_id
    # Masked values after a word stay values.
    timeout = "Timed out after {} ms waiting for the pool"
    assert miner.add(timeout.format(30)).pattern_id == miner.add(timeout.format(31)).pattern_id


_AWS = "ClientError: An error occurred (AccessDenied) when calling the {} operation: Denied"
_SQUID = "1718179568.456 1 10.8.0.31 TCP_DENIED/403 3906 {} - HIER_NONE/- text/html"


@pytest.mark.parametrize(
    ("shape", "first", "second", "one_shape"),
    [
        ("10.0.0.1 open through proxy proxy.example.com:5070 {}", "HTTPS", "SOCKS5", False),
        ("Session: 3054_4261 initialized by client {}.", "SPP", "WindowsUpdateAgent", False),
        (_AWS, "PutObject", "GetObject", True),
        (_AWS, "PutObject", "ListObjectsV2", True),
        (_SQUID, "CONNECT pastebin.com:443", "GET http://intranet.example/admin/", True),
        ("wlan0: {} 3c:52:82:6a:f1:0e", "AP-STA-CONNECTED", "AP-STA-DISCONNECTED", False),
        (
            "Retrying after connection broken by {} <str>",
            "NewConnectionError:",
            "ReadTimeoutError:",
            False,
        ),
        ("plugin loader raised {} for <str>", "DeprecationWarning:", "ResourceWarning:", False),
    ],
)
def test_a_constant_against_a_value_or_a_name_keeps_shapes_apart_names_may_vary(
    shape: str, first: str, second: str, one_shape: bool
) -> None:
    miner = TemplateMiner()
    first_id = miner.add(shape.format(first)).pattern_id
    assert (miner.add(shape.format(second)).pattern_id == first_id) is one_shape


def test_a_replica_adopts_a_merge_another_recorded_when_it_next_settles() -> None:
    store: list[Recorded] = []

    def settle(miner: TemplateMiner) -> dict[int, str]:
        settlement = miner.settle([r for r in store if r.seq > miner.registry.seq])
        store.extend(settlement.records)
        miner.confirm(settlement)
        return dict(settlement.ids)

    a, b = TemplateMiner(), TemplateMiner()
    older = a.add("cache refresh of segment OrdersCache into local store failed with status error")
    settle(a)
    apart = b.add(
        "cache refresh of segment BillingCache 15 into local store failed with status error"
    )
    settle(b)
    assert apart.pattern_id != older.pattern_id
    assert a.add(
        "cache refresh of segment UsersCache into local store failed with status error"
    ).pattern_id == (older.pattern_id)
    settle(a)  # records the general template, which relates b's cluster to the older pattern
    b.add("disk full on /var/lib/data after 3 retries")  # anything new makes b settle again
    assert settle(b)[apart.cluster_id] == older.pattern_id
    again = b.add(
        "cache refresh of segment BillingCache 25 into local store failed with status error"
    )
    assert again.pattern_id == older.pattern_id


def test_messages_of_more_values_than_words_share_one_cluster() -> None:
    miner = TemplateMiner()
    first = miner.add("bench r1a2b3 worker 7 failed #1")
    for seq in range(2, 200):
        again = miner.add(f"bench r9f8e7 worker {seq % 13} failed #{seq}")
        assert again.cluster_id == first.cluster_id
        assert again.pattern_id == first.pattern_id
    assert miner.cluster_count == 1
    # Another word is still another shape.
    assert miner.add("bench r1a2b3 worker 7 passed #1").cluster_id != first.cluster_id


def _related_by_scanning(template: str, records: list[Recorded]) -> set[str]:
    """Every pattern related to ``template``, found by trying each relation on each record."""
    tokens = template.split()
    found = set()
    for record in records:
        known = record.template.split()
        if (
            generalises(tokens, known)
            or generalises(known, tokens)
            or optional_value(tokens, known)
            or optional_value(known, tokens)
            or optional_tail(tokens, known)
            or optional_tail(known, tokens)
            or optional_head(tokens, known)
            or optional_head(known, tokens)
            or spanned(tokens, known)
            or spanned(known, tokens)
        ):
            found.add(record.pattern_id)
    return found


def _templates(count: int) -> list[str]:
    """Templates of few words (so that many relate) and their variants: a run where a ``<*>``
    was, a tag or two before, a value or two after, a value in a word's place, a comma after
    the first token (alike the token without it in optional tails and values)."""
    chooser = random.Random(7)
    words = ["Host", "Office", "Branch", "Job", "Sink:", "UP!", "DOWN", "error:", "for", "is"]
    values = ["<*>", "<num>", "<ip>"]
    templates: set[str] = set()
    while len(templates) < count:
        base = [chooser.choice([*words, "<*>", "<*>"]) for _ in range(chooser.randint(3, 8))]
        templates.add(" ".join(base))
        for kind in range(5):
            variant = list(base)
            if kind == 4:  # a comma after the first token, and a value more
                variant[0] += ","
                variant += [chooser.choice(values)]
            elif kind == 0 and "<*>" in variant:
                at = variant.index("<*>")
                run = [chooser.choice(words[:7] + values) for _ in range(chooser.randint(2, 3))]
                variant[at : at + 1] = run
            elif kind == 1:
                variant[:0] = [chooser.choice(["flutter:", "NVRM:", *values])]
            elif kind == 2:
                variant += [chooser.choice(values) for _ in range(chooser.randint(1, 2))]
            else:
                variant[chooser.randrange(len(variant))] = chooser.choice(values)
            templates.add(" ".join(variant))
    return sorted(templates)[:count]


def test_the_registry_finds_every_related_pattern_that_trying_each_record_finds() -> None:
    templates = _templates(500)
    records = [Recorded(seq, t, f"pat_{seq}") for seq, t in enumerate(templates, 1)]
    registry = Registry(records)
    for record in records:
        indexed = {pattern_id for _, pattern_id in registry.related(record.template)}
        assert indexed == _related_by_scanning(record.template, records), record.template


@pytest.mark.parametrize("layout", LAYOUTS)
def test_a_message_is_one_pattern_whatever_common_layout_writes_it(layout: str) -> None:
    bare = "Failed to connect to database orders-db after 3 attempts"
    laid_out = layout.format(m="Failed to connect to database billing-db after 5 attempts")
    for first, then in ((bare, laid_out), (laid_out, bare)):
        miner = TemplateMiner()
        assert miner.add(first).pattern_id == miner.add(then).pattern_id


def test_a_header_line_before_a_message_is_not_what_is_mined() -> None:
    # .NET's console logger and Rust's panic write the message on the line after a header.
    assert mining_text("fail: Orders.Api[0]\n      Payment declined for <id> twice") == (
        "Payment declined for <*> twice"
    )
    assert mining_text("ERROR\nsomething went wrong in the nightly export") == (
        "something went wrong in the nightly export"
    )
    # A first line that says something is what is mined; a traceback, by its exception.
    traceback = 'Traceback (most recent call last):\n  File "a.py", line 3\nValueError: x'
    assert mining_text(traceback) == "ValueError: x"
    assert mining_text("disk full on the backup volume\nretrying in a minute") == (
        "disk full on the backup volume"
    )
