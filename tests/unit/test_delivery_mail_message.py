"""The e-mail for a notification: recipients, one-line headers, plain text, one thread."""

from __future__ import annotations

from typing import Any

from services.notifier.delivery.mail_message import compose, recipients, thread_id
from shared.events import ErrorSummary, NotificationData, Severity, Target


def _notification(**changes: Any) -> NotificationData:
    summary = {
        "title": "Payment <failed> & retried",
        "severity": Severity.CRITICAL,
        "environment": "production",
        "count": 7,
    }
    summary.update(changes.pop("summary", {}))
    fields: dict[str, Any] = {
        "fingerprint": "fp-42",
        "kind": "escalation",
        "level": 3,
        "targets": [Target(type="email", channel="cto@example.com")],
        "summary": ErrorSummary(**summary),
        "text": "level 2 not acknowledged within 15 min",
        "actions": ["ack", "resolve"],
    }
    fields.update(changes)
    return NotificationData(**fields)


def test_recipients_are_one_address_or_a_comma_separated_list() -> None:
    assert recipients(Target(type="email", channel="a@example.com")) == ["a@example.com"]
    several = Target(type="email", channel="a@example.com, Bea <b@example.com>,a@example.com")
    assert recipients(several) == ["a@example.com", "b@example.com"]
    assert recipients(Target(type="email", channel="nobody")) == []
    assert recipients(Target(type="email")) == []


def test_the_message_is_plain_text_with_the_alerts_facts() -> None:
    message = compose(
        _notification(),
        sender="alertorch@example.com",
        to=["cto@example.com"],
        subject_prefix="[alertorch]",
    )
    assert message["Subject"] == (
        "[alertorch] [CRITICAL] escalation: Payment <failed> & retried (production)"
    )
    assert message["To"] == "cto@example.com"
    assert message.get_content_type() == "text/plain"
    text = message.get_content()
    assert text.startswith("Payment <failed> & retried\n")
    assert "&amp;" not in text
    assert "&lt;" not in text
    assert "What: escalation (escalation level 3)" in text
    assert "Occurrences: 7" in text
    assert "level 2 not acknowledged within 15 min" in text
    assert "Fingerprint: fp-42" in text


def test_a_title_cannot_add_headers() -> None:
    evil = "Boom\r\nBcc: everyone@example.com"
    message = compose(
        _notification(summary={"title": evil}),
        sender="alertorch@example.com",
        to=["cto@example.com"],
        subject_prefix="[alertorch]",
    )
    assert message["Bcc"] is None
    assert "\n" not in str(message["Subject"])
    assert "Bcc: everyone@example.com" in str(message["Subject"])


def test_every_message_about_one_problem_is_in_one_thread() -> None:
    first, second = (
        compose(
            _notification(kind=kind),
            sender="a@example.com",
            to=["b@example.com"],
            subject_prefix="",
        )
        for kind in ("new_alert", "resolved")
    )
    assert first["References"] == second["References"] == thread_id("fp-42", "example.com")
    assert first["Message-ID"] != second["Message-ID"]
    assert first["X-Alertorch-Kind"] == "new_alert"
