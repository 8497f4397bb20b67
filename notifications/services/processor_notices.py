"""Art. 33(2): the processor's notice to each controller, prepared, rendered and emailed once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from breachdesk.formats import PARIS
from breachdesk.models import (
    AuditEvent,
    BreachFile,
    Incident,
    User,
)
from breachdesk.services import record_audit, record_event
from breachdesk.timeline import TimelineKind
from notifications import cnil, emails, pdf, storage
from notifications.models import EmailState, Filing, NotificationAuditObject, OutboundEmail, ProcessorNotice
from notifications.services.filings import build_filing_context
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
    breach_file = notice.breach_file
    incident = breach_file.incident
    context = build_filing_context(
        breach_file=breach_file, kind=Filing.Kind.INITIAL, version=0, initial_case_number="", now=now
    )
    values = cnil.read_values(cnil.CNIL_TELESERVICE, context)
    return {
        "notice": notice,
        "breach_file": breach_file,
        "incident": incident,
        "processor": incident.processor,
        "controller": breach_file.controller,
        "dated": now.astimezone(PARIS).strftime("%d/%m/%Y"),
        "facts": [
            (label, values[key])
            for key, label in (
                ("nature.natures", "Nature de la violation"),
                ("dates.start", "Début de la violation"),
                ("dates.discovery", "Découverte de la violation"),
                ("dates.end", "Fin de la violation"),
                ("data.categories", "Catégories de données concernées"),
                ("persons.categories", "Catégories de personnes concernées"),
                ("persons.count", "Nombre approximatif de personnes"),
                ("persons.records", "Nombre approximatif d'enregistrements"),
                ("origin.origin", "Origine"),
                ("cause.cause", "Cause"),
            )
        ],
        "not_known": cnil.NOT_KNOWN,
    }


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
        rendered = pdf.render_pdf("notifications/pdf/processor_notice.html", processor_letter_context(notice, now=now))
        relative = f"processor-notices/{notice.incident_id}/notice-{notice.pk}.pdf"
        storage.store_private(relative, rendered.content)
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
    message = emails.processor_notice(
        context={
            "breach_file": breach_file,
            "incident": breach_file.incident,
            "processor": breach_file.incident.processor,
        },
        recipients=recipients,
        letter=storage.private_path(notice.letter_path).read_bytes(),
        filename=f"notification-{breach_file.incident.reference}-{breach_file.controller.code}.pdf",
    )
    email = send_outbound_email(email_id=notice.email_id, message=message, recipients=recipients, now=now)
    if email.state == EmailState.SENT:
        informed_at = email.sent_at or timezone.now()
        ProcessorNotice.objects.filter(pk=notice.pk).update(informed_at=informed_at)
        # Art. 33(2): record when the controller was told; its own clock still starts at its own awareness.
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
