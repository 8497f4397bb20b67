"""Email messages: the only module that builds them. Subjects carry references and codes, never personal data."""

from __future__ import annotations

import html
from dataclasses import dataclass
from email.header import Header
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from breachdesk.formats import of_organisation, typeset, typeset_html
from breachdesk.taxonomy import data_categories_of
from notifications.mime_cache import NoticeTemplate, notice_email
from notifications.models import Campaign, Notice
from notifications.services.notice_texts import said_to, salutation

# Errors raised before the message data went out: the message was certainly not delivered.


def site_url(path: str) -> str:
    base = settings.BREACHDESK_SITE_URL.rstrip("/")
    return f"{base}{path}"


def _subject(template_name: str, context: dict[str, Any]) -> str:
    # One line: a newline in a subject would be a header injection.
    return " ".join(render_to_string(template_name, context).split())


def _staff_reminder(
    *, name: str, url_name: str, context: dict[str, Any], recipients: list[str], anchor: str = ""
) -> EmailMessage:
    """Build a reminder to the lab's people: references, times and a link to the page, nothing about data subjects."""
    breach_file = context["breach_file"]
    url = reverse(url_name, args=[breach_file.incident.reference, breach_file.controller.code]) + anchor
    context = {**context, "url": site_url(url)}
    # The reminders to professionals are in French, whatever language the worker runs in.
    with translation.override("fr"):
        subject = _subject(f"notifications/email/{name}_subject.txt", context)
        body = render_to_string(f"notifications/email/{name}.txt", context)
    return EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=recipients,
        headers={"Auto-Submitted": "auto-generated"},
    )


def deadline_reminder(*, context: dict[str, Any], recipients: list[str]) -> EmailMessage:
    """Build the reminder of an Art. 33(1) deadline."""
    return _staff_reminder(
        name="deadline_reminder", url_name="notifications:filings", context=context, recipients=recipients
    )


def obligation_reminder(*, context: dict[str, Any], recipients: list[str]) -> EmailMessage:
    """Build the reminder of an obligation phase (ARS, complaint, NIS2...): references, due time and a link."""
    return _staff_reminder(
        name="obligation_reminder",
        url_name="breach_file_detail",
        context=context,
        recipients=recipients,
        anchor="#obligations",
    )


def inform_reminder(*, context: dict[str, Any], recipients: list[str]) -> EmailMessage:
    """Build the reminder that persons decided to be informed are not yet (Art. 34: without undue delay)."""
    return _staff_reminder(
        name="inform_reminder", url_name="notifications:campaign", context=context, recipients=recipients
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


_SALUTATION = "\x00BREACHDESK-SALUTATION\x00"
_REFERENCE = "\x00BREACHDESK-REFERENCE\x00"


@dataclass(frozen=True)
class Body:
    subject: str
    text: str
    html: str
    template: NoticeTemplate | None


class Composer:
    """Render each (language, set of CNIL categories) once; each message only gets its salutation and address."""

    def __init__(self, campaign: Campaign) -> None:
        self.campaign = campaign
        self.breach_file = campaign.breach_file
        self.from_email = settings.NOTICE_FROM_EMAIL
        dpo_email = self.breach_file.controller.dpo_email
        self.reply_to = [dpo_email] if dpo_email else []
        self._bodies: dict[tuple[str, tuple[str, ...]], Body] = {}
        self._categories: dict[tuple[str, ...], tuple[str, ...]] = {}

    def body(self, language: str, categories: tuple[str, ...]) -> Body:
        key = (language, categories)
        body = self._bodies.get(key)
        if body is None:
            organisation = self.breach_file.controller
            texts = self.campaign.texts.get(language) or self.campaign.texts["fr"]
            with translation.override(language):
                context = {
                    "language": language,
                    "organisation": organisation,
                    "of_organisation": of_organisation(organisation.name, language),
                    "signatory_title": organisation.signatory_title_in(language),
                    "incident": self.breach_file.incident,
                    # Emails stay at the CNIL categories (as page 1 of a letter does).
                    **said_to(texts=texts, categories=categories, language=language),
                    "salutation": _SALUTATION,
                    "reference": _REFERENCE,
                }
                subject = typeset(
                    " ".join(render_to_string("notifications/email/campaign_notice_subject.txt", context).split()),
                    language,
                )
                # Encoded once (RFC 2047) rather than for every message: the subject is the same for all.
                subject = subject if subject.isascii() else Header(subject, "utf-8").encode()
                text = typeset(render_to_string("notifications/email/campaign_notice.txt", context), language)
                html_text = typeset_html(
                    render_to_string("notifications/email/campaign_notice.html", context), language
                )
            template = NoticeTemplate.build(
                subject=subject,
                text=text,
                html_text=html_text,
                from_email=self.from_email,
                marker=_SALUTATION,
                reference_marker=_REFERENCE,
                reply_to=self.reply_to,
            )
            body = Body(subject=subject, text=text, html=html_text, template=template)
            self._bodies[key] = body
        return body

    def message(self, notice: Notice) -> EmailMessage:
        personal = notice.subject.personal
        exposures = tuple(notice.subject.exposures)
        categories = self._categories.get(exposures)
        if categories is None:
            categories = self._categories[exposures] = tuple(data_categories_of(list(exposures)))
        body = self.body(notice.language, categories)
        greeting = salutation(personal, notice.language, notice.addressee)
        return notice_email(
            template=body.template,
            subject=body.subject,
            text=body.text.replace(_SALUTATION, greeting).replace(_REFERENCE, notice.reference),
            html_text=body.html.replace(_SALUTATION, html.escape(greeting)).replace(
                _REFERENCE, html.escape(notice.reference)
            ),
            greeting=greeting,
            to=personal.email,
            from_email=self.from_email,
            message_id=notice.message_id,
            reference=notice.reference,
            metadata={"breachdesk_notice": notice.pk},
            reply_to=self.reply_to,
        )
