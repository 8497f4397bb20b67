"""Art. 33(2): the processor's notice to each controller, prepared, rendered and emailed once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from breachdesk.formats import PARIS, paris_datetime
from breachdesk.models import (
    AuditEvent,
    BreachFile,
    Incident,
    User,
)
from breachdesk.services import record_audit, record_event
from breachdesk.timeline import TimelineKind
from notifications import emails, pdf, storage
from notifications.models import EmailState, NotificationAuditObject, OutboundEmail, ProcessorNotice
from notifications.services.outbound import (
    claim_outbound_email,
    create_outbound_email,
    dpo_recipients,
    enqueue,
    finish_outbound_email,
    requeue_outbound_email,
    send_outbound_email,
)
from notifications.tasks import processor_notices as processor_notice_tasks

# The controllers are French laboratories: the notice and its email are in the site's language.
NOTICE_LANGUAGE = settings.LANGUAGE_CODE


@dataclass(frozen=True)
class FanOut:
    """What one run of the processor fan-out did."""

    queued: list[ProcessorNotice]
    already_informed: list[ProcessorNotice]
    requeued: list[ProcessorNotice]
    waiting: list[ProcessorNotice]


def notify_controllers(*, incident: Incident, user: User | None, now: datetime | None = None) -> FanOut:
    """Prepare the notice to every affected controller once; a second run informs nobody twice."""
    if incident.processor_id is None:
        raise ValidationError(_("This incident has no processor: controllers are not notified by one."))
    if missing := incident.missing_processor_side:
        # Art. 33(2): each controller is told the processor's own facts, not a copy of its own breach file.
        labels = ", ".join(str(getattr(Incident._meta.get_field(name), "verbose_name", name)) for name in missing)
        raise ValidationError(
            _(
                "Before notifying the controllers, fill in the processor's side of the incident (%(fields)s): "
                "the notice tells each controller when the processor became aware, what happened and what it did."
            )
            % {"fields": labels},
            code="processor_side_missing",
        )
    now = now or timezone.now()
    breach_files = BreachFile.objects.filter(incident=incident).select_related("controller")
    if user is not None:
        breach_files = breach_files.visible_to(user)
    queued, already, requeued, waiting = [], [], [], []
    for breach_file in breach_files.order_by("controller__code"):
        try:
            with transaction.atomic():
                notice = ProcessorNotice.objects.filter(breach_file=breach_file).select_related("email").first()
                created = notice is None
                if notice is None:
                    email = create_outbound_email(
                        kind=OutboundEmail.Kind.PROCESSOR_NOTICE, breach_file=breach_file, now=now
                    )
                    notice = ProcessorNotice.objects.create(
                        breach_file=breach_file, incident=incident, prepared_at=now, prepared_by=user, email=email
                    )
        except IntegrityError:
            # Another run created it between our read and our insert: that run sends it.
            continue
        if created:
            queued.append(notice)
            enqueue(processor_notice_tasks.deliver_processor_notice, notice.pk)
        elif notice.email.state == EmailState.SENT:
            already.append(notice)
        elif requeue_outbound_email(email_id=notice.email_id):
            requeued.append(notice)
            enqueue(processor_notice_tasks.deliver_processor_notice, notice.pk)
        else:
            waiting.append(notice)
    record_audit(
        user=user,
        action=AuditEvent.Action.CREATE,
        object_type=NotificationAuditObject.PROCESSOR_NOTICES,
        object_id=incident.pk,
        detail=f"queued {len(queued)}, requeued {len(requeued)}, already {len(already)}",
    )
    return FanOut(queued=queued, already_informed=already, requeued=requeued, waiting=waiting)


def processor_letter_context(notice: ProcessorNotice, *, now: datetime) -> dict[str, object]:
    """What the notice says: the processor's own awareness, account and measures, from the incident."""
    breach_file = notice.breach_file
    incident = breach_file.incident
    return {
        "notice": notice,
        "breach_file": breach_file,
        "incident": incident,
        "processor": incident.processor,
        "controller": breach_file.controller,
        "dated": now.astimezone(PARIS).strftime("%d/%m/%Y"),
        "processor_aware": paris_datetime(incident.processor_became_aware_at),
    }


def _letter_author(notice: ProcessorNotice) -> str:
    processor = notice.breach_file.incident.processor
    return processor.name if processor is not None else notice.breach_file.controller.name


def deliver_processor_notice(*, notice_id: int, now: datetime | None = None) -> ProcessorNotice | None:
    """Render the letter, then send it once to the controller's DPO and record when the controller was informed."""
    now = now or timezone.now()
    notice = (
        ProcessorNotice.objects.select_related("breach_file__incident__processor", "breach_file__controller", "email")
        .filter(pk=notice_id)
        .first()
    )
    if notice is None or notice.email.state == EmailState.SENT:
        return notice
    if not storage.exists(notice.letter_path):
        with translation.override(NOTICE_LANGUAGE):
            rendered = pdf.render_pdf(
                "notifications/pdf/processor_notice.html",
                processor_letter_context(notice, now=now),
                author=_letter_author(notice),
            )
        relative = f"processor-notices/{notice.incident_id}/notice-{notice.pk}.pdf"
        storage.store_encrypted(relative, rendered.content)
        ProcessorNotice.objects.filter(pk=notice.pk).update(letter_path=relative, letter_sha256=rendered.sha256)
        notice.letter_path, notice.letter_sha256 = relative, rendered.sha256
    if not claim_outbound_email(email_id=notice.email_id, now=now):
        return notice
    breach_file = notice.breach_file
    recipients = dpo_recipients(breach_file.controller)
    if not recipients:
        finish_outbound_email(
            email_id=notice.email_id, state=EmailState.FAILED, now=now, error="no DPO address", give_up=True
        )
        notice.refresh_from_db()
        return notice
    with translation.override(NOTICE_LANGUAGE):
        message = emails.processor_notice(
            context={
                "breach_file": breach_file,
                "incident": breach_file.incident,
                "processor": breach_file.incident.processor,
                "processor_aware": paris_datetime(breach_file.incident.processor_became_aware_at),
            },
            recipients=recipients,
            letter=storage.read_decrypted(notice.letter_path),
            filename=f"notification-{breach_file.incident.reference}-{breach_file.controller.code}.pdf",
        )
    email = send_outbound_email(email_id=notice.email_id, message=message, recipients=recipients, now=now)
    if email.state == EmailState.SENT:
        informed_at = email.sent_at or timezone.now()
        ProcessorNotice.objects.filter(pk=notice.pk).update(informed_at=informed_at)
        # Art. 33(2): record when the controller was told; EDPB 9/2022: it is in principle aware from then on.
        updated = BreachFile.objects.filter(pk=breach_file.pk, processor_informed_at__isnull=True).update(
            processor_informed_at=informed_at
        )
        if updated:
            record_event(
                breach_file=breach_file,
                kind=TimelineKind.PROCESSOR_INFORMED,
                at=informed_at,
                params={"notice_sent": True},
            )
    notice.refresh_from_db()
    return notice
