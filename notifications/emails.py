"""Email messages: the only module that builds them. Subjects carry references and codes, never personal data."""

from __future__ import annotations

import smtplib
import socket
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse

from notifications.models import EmailState

# Errors raised before the message data went out: the message was certainly not delivered.
NOT_SENT_ERRORS: tuple[type[BaseException], ...] = (
    ConnectionRefusedError,
    socket.gaierror,
    smtplib.SMTPConnectError,
    smtplib.SMTPHeloError,
    smtplib.SMTPAuthenticationError,
    smtplib.SMTPSenderRefused,
    smtplib.SMTPRecipientsRefused,
    smtplib.SMTPNotSupportedError,
)


def site_url(path: str) -> str:
    base = getattr(settings, "BREACHDESK_SITE_URL", "http://localhost:8000").rstrip("/")
    return f"{base}{path}"


def _subject(template_name: str, context: dict[str, Any]) -> str:
    # One line: a newline in a subject would be a header injection.
    return " ".join(render_to_string(template_name, context).split())


def deadline_reminder(*, context: dict[str, Any], recipients: list[str]) -> EmailMessage:
    """Build the reminder of an Art. 33(1) deadline: references, deadline and a link, nothing about data subjects."""
    breach_file = context["breach_file"]
    context = {
        **context,
        "url": site_url(
            reverse("notifications:filings", args=[breach_file.incident.reference, breach_file.controller.code])
        ),
    }
    return EmailMessage(
        subject=_subject("notifications/email/deadline_reminder_subject.txt", context),
        body=render_to_string("notifications/email/deadline_reminder.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=recipients,
        headers={"Auto-Submitted": "auto-generated"},
    )


def processor_notice(*, context: dict[str, Any], recipients: list[str], letter: bytes, filename: str) -> EmailMessage:
    """Build the processor's Art. 33(2) notice to a controller's DPO, with the letter attached."""
    breach_file = context["breach_file"]
    context = {
        **context,
        "url": site_url(
            reverse("breach_file_detail", args=[breach_file.incident.reference, breach_file.controller.code])
        ),
    }
    message = EmailMessage(
        subject=_subject("notifications/email/processor_notice_subject.txt", context),
        body=render_to_string("notifications/email/processor_notice.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=recipients,
    )
    message.attach(filename, letter, "application/pdf")
    return message


@dataclass(frozen=True)
class Delivery:
    state: str
    error: str = ""


def send(message: EmailMessage) -> Delivery:
    """Send one message; a failure after the data may have left is "unknown", never retried automatically."""
    try:
        message.send(fail_silently=False)
    except NOT_SENT_ERRORS as error:
        return Delivery(state=EmailState.FAILED, error=type(error).__name__)
    except (OSError, smtplib.SMTPException) as error:
        return Delivery(state=EmailState.UNKNOWN, error=type(error).__name__)
    return Delivery(state=EmailState.SENT)


def data_subject_notice(
    *,
    subject: str,
    text: str,
    html: str,
    to: str,
    from_email: str,
    message_id: str,
    reference: str,
    metadata: dict[str, Any] | None = None,
) -> EmailMessage:
    """Build the Art. 34 message to one data subject: dedicated, text and HTML, its Message-ID fixed by its ledger row."""
    from django.core.mail import EmailMultiAlternatives

    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()),
        body=text,
        from_email=from_email,
        to=[to],
        headers={"Message-ID": message_id, "X-BreachDesk-Reference": reference},
    )
    message.attach_alternative(html, "text/html")
    # anymail sends metadata to the ESP, which echoes it in tracking events (bounces); other backends ignore it.
    message.metadata = metadata or {}  # type: ignore[attr-defined]
    return message
