"""The e-mail for a notification (pure): plain text, one thread per problem.

Every message about one fingerprint names the same thread id in ``References`` and
``In-Reply-To``, so mail clients group them. Header values are made single-line (an error title
cannot add headers); the body is plain text and nothing is HTML-escaped.
"""

from __future__ import annotations

import hashlib
from email import policy
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

from shared.events import NotificationData, Target

SUBJECT_LIMIT = 200
#: Header lines up to RFC 5322's hard limit: a subject is never folded (Python folds some
#: subjects by starting them on a continuation line, which clients show with a leading space).
POLICY = policy.default.clone(max_line_length=998)
KIND_LABELS = {
    "new_alert": "new alert",
    "update": "update",
    "digest": "digest",
    "approval_request": "approval needed",
    "resolution_started": "fix started",
    "resolution_succeeded": "fix succeeded",
    "resolution_failed": "fix failed",
    "rolled_back": "fix rolled back",
    "escalation": "escalation",
    "resolved": "resolved",
}


def recipients(target: Target) -> list[str]:
    """The target's addresses: its channel, one address or several separated by commas."""
    found: list[str] = []
    for part in (target.channel or "").split(","):
        _, address = parseaddr(part.strip())
        if "@" in address and address not in found:
            found.append(address)
    return found


def one_line(text: str) -> str:
    return " ".join(text.split())


def domain_of(address: str) -> str:
    return address.rpartition("@")[2] or "localhost"


def thread_id(fingerprint: str, domain: str) -> str:
    digest = hashlib.sha256(fingerprint.encode()).hexdigest()[:32]
    return f"<alertorch.{digest}@{domain}>"


def subject(notification: NotificationData, prefix: str) -> str:
    summary = notification.summary
    label = KIND_LABELS.get(notification.kind, notification.kind)
    where = f" ({summary.environment})" if summary.environment else ""
    text = f"{prefix} [{summary.severity.value.upper()}] {label}: {summary.headline}{where}"
    text = one_line(text)
    return text if len(text) <= SUBJECT_LIMIT else text[: SUBJECT_LIMIT - 1] + "…"


def body(notification: NotificationData) -> str:
    summary = notification.summary
    label = KIND_LABELS.get(notification.kind, notification.kind)
    facts = {
        "What": f"{label} (escalation level {notification.level})",
        "Severity": summary.severity.value,
        "Category": summary.category,
        "Service": summary.service,
        "Environment": summary.environment,
        "Impact score": summary.impact_score,
        "Trend": summary.trend,
        "Occurrences": summary.count,
        "Details": summary.url,
        "Fingerprint": notification.fingerprint,
    }
    lines = [summary.title, ""]
    lines += [f"{name}: {value}" for name, value in facts.items() if value is not None]
    if notification.text:
        lines += ["", notification.text]
    if notification.actions:
        lines += ["", "Act on it from Slack or the console: " + ", ".join(notification.actions)]
    lines += ["", "-- ", "Sent by alertorch."]
    return "\n".join(lines) + "\n"


def compose(
    notification: NotificationData, *, sender: str, to: list[str], subject_prefix: str
) -> EmailMessage:
    domain = domain_of(sender)
    thread = thread_id(notification.fingerprint, domain)
    message = EmailMessage(policy=POLICY)
    message["From"] = sender
    message["To"] = ", ".join(to)
    message["Subject"] = subject(notification, subject_prefix)
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(domain=domain)
    message["In-Reply-To"] = thread
    message["References"] = thread
    message["X-Alertorch-Fingerprint"] = one_line(notification.fingerprint)
    message["X-Alertorch-Kind"] = notification.kind
    message.set_content(body(notification))
    return message
