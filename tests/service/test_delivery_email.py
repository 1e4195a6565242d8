"""The e-mail target against a real local SMTP server (aiosmtpd): messages, recipients,
STARTTLS, login, and what 4xx, 5xx and no connection mean."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from services.notifier.delivery.mail import SmtpEmail
from shared.config.integrations import EmailIntegration
from shared.events import ErrorSummary, NotificationData, Severity, Target
from tests.delivery import failed_for_good, skipped_quietly
from tests.notifications import notification_data
from tests.procs import free_port_block

EMAIL = Target(type="email", channel="dev-team@example.com")


@dataclass
class Mailbox:
    """An aiosmtpd handler that keeps what it accepts and answers as told."""

    received: list[tuple[str, list[str], EmailMessage]] = field(default_factory=list)
    rcpt_answer: dict[str, str] = field(default_factory=dict)
    data_answer: str = "250 OK"

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        answer = self.rcpt_answer.get(address, "250 OK")
        if answer.startswith("250"):
            envelope.rcpt_tos.append(address)
        return answer

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.data_answer.startswith("250"):
            message = message_from_bytes(envelope.original_content, policy=policy.default)
            self.received.append((envelope.mail_from, list(envelope.rcpt_tos), message))
        return self.data_answer


@dataclass
class Smtp:
    mailbox: Mailbox
    port: int


def _serve(mailbox: Mailbox, **options: Any) -> Iterator[Smtp]:
    port = free_port_block(1)
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield Smtp(mailbox, port)
    finally:
        controller.stop()


@pytest.fixture
def smtp() -> Iterator[Smtp]:
    yield from _serve(Mailbox())


def _notification() -> NotificationData:
    summary = ErrorSummary(
        title="Payment <failed> & retried",
        severity=Severity.CRITICAL,
        environment="production",
        count=3,
    )
    return notification_data(EMAIL, summary, level=1, text="level 0 not acknowledged within 15 min")


def _email(
    port: int,
    password: str | None = None,
    ssl_context: ssl.SSLContext | None = None,
    **config: Any,
) -> SmtpEmail:
    settings = {
        "enabled": True,
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "starttls": False,
        "from_address": "alertorch@example.com",
        "timeout_seconds": 5,
        **config,
    }
    return SmtpEmail(EmailIntegration(**settings), password=password, ssl_context=ssl_context)


async def test_the_notification_arrives_as_plain_text_to_its_recipients(smtp: Smtp) -> None:
    several = Target(type="email", channel="management@example.com, cto@example.com")
    result = await _email(smtp.port).handle_escalation(_notification(), several)
    assert result.delivered
    assert result.details == {"refused": {}}
    [(sender, to, message)] = smtp.mailbox.received
    assert sender == "alertorch@example.com"
    assert to == ["management@example.com", "cto@example.com"]
    assert message["To"] == "management@example.com, cto@example.com"
    assert message["Subject"] == (
        "[alertorch] [CRITICAL] escalation: Payment <failed> & retried (production)"
    )
    assert message["Message-ID"] == result.reference
    assert message["X-Alertorch-Fingerprint"] == "fp-42"
    assert message.get_content_type() == "text/plain"
    body = message.get_payload(decode=True)
    assert isinstance(body, bytes)
    text = body.decode().replace("\r\n", "\n")
    assert text.startswith("Payment <failed> & retried\n")
    assert "level 0 not acknowledged within 15 min" in text


async def test_refused_recipients_are_reported_and_the_rest_still_get_it() -> None:
    mailbox = Mailbox(rcpt_answer={"gone@example.com": "550 5.1.1 no such user"})
    for smtp in _serve(mailbox):
        target = Target(type="email", channel="gone@example.com, cto@example.com")
        result = await _email(smtp.port).send_notification(_notification(), target)
    assert result.delivered
    assert result.details["refused"] == {"gone@example.com": 550}
    assert [to for _, to, _ in mailbox.received] == [["cto@example.com"]]


@pytest.mark.parametrize(
    ("rcpt", "data", "later", "code"),
    [
        ("450 4.2.1 mailbox busy", "250 OK", True, "450"),
        ("550 5.1.1 no such user", "250 OK", False, "550"),
        ("250 OK", "451 4.3.0 try again later", True, "451"),
        ("250 OK", "554 5.7.1 rejected as spam", False, "554"),
    ],
)
async def test_4xx_is_retried_and_5xx_fails_for_good(
    rcpt: str, data: str, later: bool, code: str
) -> None:
    mailbox = Mailbox(rcpt_answer={"dev-team@example.com": rcpt}, data_answer=data)
    for smtp in _serve(mailbox):
        result = await _email(smtp.port).send_notification(_notification(), EMAIL)
    assert not result.delivered
    assert result.permanent is not later
    assert code in (result.error or "")
    if later:
        assert result.retry_after == 60
    assert mailbox.received == []


async def test_no_server_is_retried_later() -> None:
    result = await _email(free_port_block(1)).send_notification(_notification(), EMAIL)
    assert not result.delivered
    assert result.retry_after == 60
    assert "ConnectionRefusedError" in (result.error or "")


async def test_login_with_the_configured_user_and_smtp_password() -> None:
    logins: list[tuple[bytes, bytes]] = []

    def authenticator(
        server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        assert isinstance(data, LoginPassword)
        logins.append((data.login, data.password))
        # handled=False: aiosmtpd answers 535 itself on a failure.
        return AuthResult(success=data.password == b"s3cret", handled=False)

    mailbox = Mailbox()
    for smtp in _serve(mailbox, authenticator=authenticator, auth_require_tls=False):
        ok = await _email(smtp.port, "s3cret", username="alertorch").send_notification(
            _notification(), EMAIL
        )
        wrong = await _email(smtp.port, "nope", username="alertorch").send_notification(
            _notification(), EMAIL
        )
    assert ok.delivered
    assert len(mailbox.received) == 1
    failed_for_good(wrong, "535")
    assert logins[:2] == [(b"alertorch", b"s3cret"), (b"alertorch", b"nope")]


async def test_starttls_is_refused_by_a_server_without_it(smtp: Smtp) -> None:
    result = await _email(smtp.port, starttls=True).send_notification(_notification(), EMAIL)
    failed_for_good(result, "STARTTLS")
    assert smtp.mailbox.received == []


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


async def test_starttls_encrypts_and_verifies_the_server(certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    mailbox = Mailbox()
    for smtp in _serve(mailbox, tls_context=server_tls, require_starttls=True):
        trusted = ssl.create_default_context(cafile=str(cert))
        ok = await _email(smtp.port, starttls=True, ssl_context=trusted).send_notification(
            _notification(), EMAIL
        )
        untrusted = await _email(smtp.port, starttls=True).send_notification(_notification(), EMAIL)
        plain = await _email(smtp.port).send_notification(_notification(), EMAIL)
    assert ok.delivered
    assert len(mailbox.received) == 1
    failed_for_good(untrusted, "certificate")
    assert plain.permanent, "the server demands STARTTLS"
    assert "530" in (plain.error or "")


async def test_a_disabled_integration_skips_and_a_target_without_address_fails() -> None:
    disabled = SmtpEmail(EmailIntegration(), password=None)
    result = await disabled.send_notification(_notification(), EMAIL)
    skipped_quietly(result, "integrations.email.enabled")
    nobody = await _email(25).send_notification(_notification(), Target(type="email"))
    failed_for_good(nobody, "no e-mail address")
