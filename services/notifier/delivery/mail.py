"""E-mail over SMTP for escalation levels' ``email_notification`` actions (the ``email`` target).

``smtplib`` runs in a worker thread; every socket operation has ``timeout_seconds``. STARTTLS
when ``starttls`` is set (the server's certificate is verified), login when ``username`` is set
(password: ``SMTP_PASSWORD``). Recipients: the target's channel, one address or several
separated by commas.

Answers: accepted by the server → delivered (reference: the ``Message-ID``; recipients the server
refused while accepting others are listed in ``details["refused"]``); a 4xx answer, no connection
or a dropped one → later; a 5xx answer, no STARTTLS or AUTH on the server, a certificate that
does not verify → failed.
"""

from __future__ import annotations

import asyncio
import contextlib
import smtplib
import ssl
from collections.abc import Iterator
from email.message import EmailMessage

from services.notifier.delivery.base import DeliveryResult
from services.notifier.delivery.disabled import disabled
from services.notifier.delivery.mail_message import compose, recipients
from shared.config.integrations import EmailIntegration
from shared.events import NotificationData, Target

Refused = dict[str, tuple[int, bytes]]


class SmtpEmail:
    """The ``email`` target."""

    def __init__(
        self,
        config: EmailIntegration,
        *,
        password: str | None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self._config = config
        self._password = password
        self._ssl = ssl_context or ssl.create_default_context()

    async def send_notification(
        self, notification: NotificationData, target: Target
    ) -> DeliveryResult:
        if not self._config.enabled:
            return disabled("e-mail", "email")
        to = recipients(target)
        if not to:
            return DeliveryResult.failed(f"no e-mail address in the target {target.channel!r}")
        message = compose(
            notification,
            sender=self._config.from_address,
            to=to,
            subject_prefix=self._config.subject_prefix,
        )
        try:
            refused = await asyncio.to_thread(self._send, message, to)
        except OSError as exc:  # smtplib's errors, ssl's and sockets' are all OSErrors
            return self._result_of(exc)
        return DeliveryResult.ok(
            str(message["Message-ID"]), refused={k: v[0] for k, v in refused.items()}
        )

    async def handle_escalation(
        self, notification: NotificationData, target: Target
    ) -> DeliveryResult:
        return await self.send_notification(notification, target)

    def _send(self, message: EmailMessage, to: list[str]) -> Refused:
        with self._session() as smtp:
            return smtp.send_message(message, to_addrs=to)

    async def probe(self) -> str:
        """Connect, secure, log in and quit, as a send would: the server's greeting, or the
        delivery's reason why not."""
        try:
            return await asyncio.to_thread(self._greeting)
        except OSError as exc:
            raise ConnectionError(self._result_of(exc).error or repr(exc)) from None

    def _greeting(self) -> str:
        with self._session() as smtp:
            code, text = smtp.noop()
            return f"{self._where()} answers {code} {_text(text)}".strip()

    @contextlib.contextmanager
    def _session(self) -> Iterator[smtplib.SMTP]:
        config = self._config
        with smtplib.SMTP(
            config.smtp_host, config.smtp_port, timeout=config.timeout_seconds
        ) as smtp:
            smtp.ehlo()
            if config.starttls:
                smtp.starttls(context=self._ssl)
                smtp.ehlo()
            if config.username:
                smtp.login(config.username, self._password or "")
            yield smtp

    def _result_of(self, exc: OSError) -> DeliveryResult:
        retry = self._config.retry_seconds
        if isinstance(exc, smtplib.SMTPRecipientsRefused):
            codes = [code for code, _ in exc.recipients.values()]
            reason = f"SMTP refused every recipient: {_describe(exc.recipients)}"
            if any(400 <= code < 500 for code in codes):
                return DeliveryResult.later(retry, reason)
            return DeliveryResult.failed(reason)
        if isinstance(exc, smtplib.SMTPResponseException):
            reason = f"SMTP answered {exc.smtp_code}: {_text(exc.smtp_error)}"
            if 400 <= exc.smtp_code < 500:
                return DeliveryResult.later(retry, reason)
            return DeliveryResult.failed(reason)
        if isinstance(exc, smtplib.SMTPNotSupportedError):
            return DeliveryResult.failed(f"SMTP server does not support it: {exc}")
        if isinstance(exc, ssl.SSLCertVerificationError):
            return DeliveryResult.failed(f"SMTP server certificate: {exc.verify_message}")
        # Refused, timed out, dropped (SMTPServerDisconnected), other TLS trouble: try again.
        return DeliveryResult.later(retry, f"SMTP {self._where()}: {exc!r}")

    def _where(self) -> str:
        return f"{self._config.smtp_host}:{self._config.smtp_port}"


def _text(error: bytes | str) -> str:
    return error.decode(errors="replace") if isinstance(error, bytes) else error


def _describe(refused: Refused) -> str:
    return "; ".join(f"{addr} {code} {_text(msg)}" for addr, (code, msg) in refused.items())
