"""The same error, whatever its variable parts, has one fingerprint (property-based).

Each template below is an error line with slots; Hypothesis fills the slots with values of the
slot's kind, and every filling must give the fingerprint of the first. A failure prints the two
lines that came apart.
"""

from __future__ import annotations

import string

from hypothesis import given, settings
from hypothesis import strategies as st

from shared.fingerprint import fingerprint

_LABEL = st.text(string.ascii_lowercase + string.digits, min_size=1, max_size=12).filter(
    lambda label: label[0].isalpha()
)

VALUES: dict[str, st.SearchStrategy[str]] = {
    "num": st.integers(min_value=0, max_value=10**12).map(str),
    "ms": st.integers(min_value=0, max_value=10**6).map(lambda n: f"{n}ms"),
    "ipv4": st.tuples(*[st.integers(0, 255)] * 4).map(lambda t: ".".join(map(str, t))),
    "ipv6": st.ip_addresses(v=6).map(str).filter(lambda a: any(c.isdigit() for c in a)),
    "port": st.integers(min_value=1, max_value=65535).map(str),
    "host": st.tuples(_LABEL, _LABEL, st.sampled_from(["com", "net", "org", "io", "internal"])).map(
        ".".join
    ),
    "uuid": st.uuids().map(str),
    "hex": st.uuids()
    .map(lambda u: u.hex[:12])
    .filter(lambda h: any(c.isdigit() for c in h) and any(c.isalpha() for c in h)),
    "path": st.lists(_LABEL, min_size=2, max_size=5).map(lambda parts: "/" + "/".join(parts)),
    "quoted": st.text(string.ascii_letters + string.digits + " _-.", max_size=30).map(
        lambda text: f"'{text}'"
    ),
    "email": st.tuples(_LABEL, _LABEL).map(lambda t: f"{t[0]}@{t[1]}.example.com"),
    "user": _LABEL,
}

TEMPLATES = [
    "Connection to {ipv4}:{port} refused after {ms}",
    "Timeout after {num} seconds waiting for {host}",
    "open {path}: no such file or directory",
    "order {uuid} not found (request {hex})",
    "KeyError: {quoted}",
    "mail to {email} bounced: mailbox full",
    "Failed password for {user} from {ipv4} port {port} ssh2",
    "Invalid user {user} from {ipv6} port {port}",
    "connection from {ipv4} ({host}) at {num}",
    "sshd: pam_unix(sshd:auth): authentication failure; rhost={host} user={user}",
    "upstream {host}:{port} answered {num} in {ms}",
]


#: One plain value for each slot.
EXAMPLE = {
    "num": "7",
    "ms": "30ms",
    "ipv4": "10.0.0.1",
    "ipv6": "2001:db8::1",
    "port": "5432",
    "host": "db.example.com",
    "uuid": "5f0c1e2a-3b4c-4d5e-8f90-1a2b3c4d5e6f",
    "hex": "9f8e7d6c5b4a",
    "path": "/var/lib/app",
    "quoted": "'sku'",
    "email": "bob@example.com",
    "user": "alice",
}


@st.composite
def _line(draw: st.DrawFn, template: str) -> str:
    slots = [name for _, name, _, _ in string.Formatter().parse(template) if name]
    return template.format(**{slot: draw(VALUES[slot]) for slot in slots})


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_one_error_has_one_fingerprint_whatever_its_values(data: st.DataObject) -> None:
    template = data.draw(st.sampled_from(TEMPLATES))
    first = data.draw(_line(template))
    second = data.draw(_line(template))
    assert fingerprint(kind="message", parts=["svc", first]) == fingerprint(
        kind="message", parts=["svc", second]
    ), f"{first!r} and {second!r} came apart"


def test_the_templates_are_distinct_problems() -> None:
    lines = [template.format_map(EXAMPLE) for template in TEMPLATES]
    prints = {fingerprint(kind="message", parts=["svc", line]) for line in lines}
    assert len(prints) == len(TEMPLATES)
