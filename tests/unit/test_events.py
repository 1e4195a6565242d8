from __future__ import annotations

import json
import uuid

import pytest
from pydantic import SecretStr, ValidationError

from shared.errors import InvalidMessage
from shared.events import (
    CustomAlert,
    RawError,
    Severity,
    decode_raw_error,
    derived_event_id,
    lift_custom_alert,
    parse_severity,
)


def test_bare_alert_is_lifted_into_a_raw_error() -> None:
    value = json.dumps(
        {
            "title": "Queue backlog above 10000",
            "severity": "high",
            "source": "orders",
            "tags": {"shard": 3, "hot": True},
        }
    ).encode()
    event = decode_raw_error(value, coordinates="errors.raw/0/17", producer="/test")
    assert isinstance(event, RawError)
    assert event.type == "io.alertorch.error.raw"
    assert event.specversion == "1.0"
    assert event.schemaversion == 1
    assert event.data.origin == "kafka"
    assert event.data.severity is Severity.HIGH
    assert event.data.service == "orders"
    assert event.data.tags == {"shard": "3", "hot": "true"}
    assert event.subject == event.data.fingerprint
    assert event.correlationid == event.id


def test_lifted_id_is_stable_across_redeliveries_and_differs_by_offset() -> None:
    value = b'{"title": "t", "severity": "low", "source": "s"}'
    first = decode_raw_error(value, coordinates="errors.raw/0/1", producer="/p")
    again = decode_raw_error(value, coordinates="errors.raw/0/1", producer="/p")
    other = decode_raw_error(value, coordinates="errors.raw/0/2", producer="/p")
    assert first.id == again.id
    assert first.id != other.id
    assert first.data.fingerprint == other.data.fingerprint


def test_envelope_round_trips() -> None:
    event = CustomAlert(title="x", severity=Severity.LOW, source="s").lift(
        origin="custom", producer="/p"
    )
    decoded = decode_raw_error(event.to_json_bytes(), coordinates="c", producer="/other")
    assert decoded == event


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (b"not json", "not JSON"),
        (b"[1, 2]", "expected a JSON object"),
        (None, "tombstone"),
        (b'{"title": "t", "source": "s"}', "severity: Field required"),
        (b'{"title": "t", "severity": "urgent", "source": "s"}', "unknown severity 'urgent'"),
        (b'{"title": "t", "severity": "low", "source": "s", "colour": 1}', "colour: Extra inputs"),
        (b'{"title": "  ", "severity": "low", "source": "s"}', "title: Value error, must not be"),
        (
            b'{"specversion": "1.0", "schemaversion": 9, "type": "io.alertorch.error.raw"}',
            "unsupported schemaversion 9",
        ),
        (
            b'{"specversion": "1.0", "schemaversion": 1, "type": "io.alertorch.command"}',
            "unexpected event type",
        ),
    ],
)
def test_bad_input_is_an_invalid_message_with_a_precise_reason(
    value: bytes | None, reason: str
) -> None:
    with pytest.raises(InvalidMessage) as info:
        decode_raw_error(value, coordinates="c", producer="/p")
    assert reason in info.value.reason


def test_severity_words() -> None:
    assert parse_severity("FATAL") is Severity.CRITICAL
    assert parse_severity("warning") is Severity.MEDIUM
    assert parse_severity(" error ") is Severity.HIGH
    with pytest.raises(ValueError, match="unknown severity"):
        parse_severity("meh")


def test_dedup_key_decides_the_fingerprint() -> None:
    a = lift_custom_alert(
        {"title": "disk 91% full", "severity": "low", "source": "db", "dedup_key": "disk"},
        origin="custom",
        producer="/p",
    )
    b = lift_custom_alert(
        {"title": "something else", "severity": "low", "source": "db", "dedup_key": "disk"},
        origin="custom",
        producer="/p",
    )
    c = lift_custom_alert(
        {"title": "disk 91% full", "severity": "low", "source": "db"},
        origin="custom",
        producer="/p",
    )
    assert a.data.fingerprint == b.data.fingerprint != c.data.fingerprint


def test_events_are_immutable() -> None:
    event = CustomAlert(title="x", severity=Severity.LOW, source="s").lift(
        origin="custom", producer="/p"
    )
    with pytest.raises(ValidationError):
        event.data.title = "y"  # type: ignore[misc]


def test_secret_values_do_not_print() -> None:
    assert "hunter2" not in repr(SecretStr("hunter2"))


@pytest.mark.parametrize(
    "parts",
    [
        ("evt-1",),
        ("", ""),
        ("fp-1", "2025-07-01T12:00:00+00:00", "timer", "step", "2"),
        ("späte Störung", "日本", "\u2603"),
    ],
)
def test_a_derived_id_is_the_name_based_uuid_of_its_parts(parts: tuple[str, ...]) -> None:
    # Ids already stored and published were made by uuid.uuid5 in this namespace: a derived
    # id must never change.
    namespace = uuid.UUID("6f1c7f6e-4c53-4f0c-9a3e-0d6b2f6b7a10")
    expected = str(uuid.uuid5(namespace, "\x1f".join(parts)))
    assert derived_event_id(*parts) == expected
