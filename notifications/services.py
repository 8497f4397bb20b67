"""Workflows of the CNIL filing, the processor notices, the deadline reminders, the dashboard and the register."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from breachdesk.assessment import (
    assess_risk,
    current_decisions,
    latest_assessment,
    record_decision,
    subjects_to_inform,
)
from breachdesk.models import (
    AuditEvent,
    BreachFile,
    BreachFileQuerySet,
    Decision,
    DecisionKind,
    Incident,
    Organisation,
    RiskAssessment,
    Role,
    User,
)
from breachdesk.services import record_audit, record_authority_notification, record_event
from breachdesk.taxonomy import Status
from notifications import cnil, emails, pdf, storage, tasks
from notifications.models import DeadlineReminder, EmailState, Filing, ProcessorNotice

logger = logging.getLogger(__name__)
PARIS = ZoneInfo("Europe/Paris")
MAX_ATTEMPTS = 3
# A claimed email not finished after this long had its worker die mid-send: its fate is unknown.
CLAIM_TIMEOUT = timedelta(minutes=15)
# A row still pending after this long lost its wake-up message: the sweep queues it again.
REQUEUE_AFTER = timedelta(minutes=5)


def enqueue(task: Any, *args: object) -> None:
    """Queue a task once the current transaction commits (Redis only wakes workers up)."""
    task.delay_on_commit(*args)


def _dedupe(addresses: Iterable[str]) -> list[str]:
    seen: dict[str, str] = {}
    for address in addresses:
        cleaned = address.strip()
        if cleaned:
            seen.setdefault(cleaned.lower(), cleaned)
    return list(seen.values())


def dpo_recipients(organisation: Organisation) -> list[str]:
    """Return the controller's DPO address and its DPO users' addresses."""
    users = User.objects.filter(role=Role.DPO, organisation=organisation, is_active=True).exclude(email="")
    return _dedupe([organisation.dpo_email, *users.order_by("pk").values_list("email", flat=True)])


def compliance_recipients(organisation: Organisation) -> list[str]:
    """Return the addresses of the compliance officers of the controller's group."""
    if organisation.group_id is None:
        return []
    users = User.objects.filter(role=Role.COMPLIANCE_OFFICER, group_id=organisation.group_id, is_active=True)
    return _dedupe(users.exclude(email="").order_by("pk").values_list("email", flat=True))


def paris_datetime(moment: datetime | None) -> str:
    return moment.astimezone(PARIS).strftime("%d/%m/%Y %H:%M") if moment else ""


# The CNIL filing --------------------------------------------------------------------------------------------


def is_late_filing(*, breach_file: BreachFile, kind: str, now: datetime) -> bool:
    """Tell whether the notification is (or was, for a complementary one) later than 72 hours after awareness."""
    if kind == Filing.Kind.COMPLEMENTARY and breach_file.authority_notified_at is not None:
        return breach_file.is_late_at(breach_file.authority_notified_at)
    return breach_file.is_late_at(now)


def build_filing_context(
    *, breach_file: BreachFile, kind: str, version: int, initial_case_number: str, now: datetime
) -> cnil.FilingContext:
    """Gather what the mapping reads: the breach file, its organisation, the latest assessment and decisions."""
    # One pass over the covered data subjects: counts only, never their rows.
    counts = subjects_to_inform(breach_file).aggregate(
        total=Count("pk"),
        post=Count("pk", filter=Q(has_postal_address=True)),
        email=Count("pk", filter=Q(has_email=True)),
    )
    return cnil.FilingContext(
        breach_file=breach_file,
        kind=kind,
        version=version,
        initial_case_number=initial_case_number,
        is_late=is_late_filing(breach_file=breach_file, kind=kind, now=now),
        assessment=latest_assessment(breach_file),
        decisions=current_decisions(breach_file),
        subjects_to_inform=counts["total"] or 0,
        subjects_by_channel={"post": counts["post"] or 0, "email": counts["email"] or 0},
    )


@dataclass(frozen=True)
class Completeness:
    """What a filing would lack if prepared now."""

    kind: str
    is_late: bool
    missing: list[cnil.Gap]
    unknown: list[cnil.Gap]
    values: dict[str, cnil.Value] = field(repr=False)

    @property
    def blocking(self) -> list[cnil.Gap]:
        return [gap for gap in self.missing if gap.is_blocking]

    @property
    def is_complete(self) -> bool:
        return not self.missing and not self.unknown


def submitted_initial(breach_file: BreachFile) -> Filing | None:
    return (
        Filing.objects.filter(breach_file=breach_file)
        .filter(kind=Filing.Kind.INITIAL, submitted_at__isnull=False)
        .first()
    )


def next_filing_kind(breach_file: BreachFile) -> str:
    return Filing.Kind.COMPLEMENTARY if submitted_initial(breach_file) else Filing.Kind.INITIAL


def check_completeness(
    *,
    breach_file: BreachFile,
    kind: str,
    now: datetime | None = None,
    version: int = 0,
    template: cnil.Template = cnil.CNIL_TELESERVICE,
) -> Completeness:
    """List every missing mandatory item and every item not known yet, before a filing is prepared."""
    now = now or timezone.now()
    initial = submitted_initial(breach_file)
    context = build_filing_context(
        breach_file=breach_file,
        kind=kind,
        version=version,
        initial_case_number=initial.cnil_case_number if initial and kind == Filing.Kind.COMPLEMENTARY else "",
        now=now,
    )
    values = cnil.read_values(template, context)
    return Completeness(
        kind=kind,
        is_late=context.is_late,
        missing=cnil.missing_items(template, context, values),
        unknown=cnil.unknown_items(template, context),
        values=values,
    )


@transaction.atomic
def prepare_filing(
    *,
    breach_file: BreachFile,
    kind: str,
    user: User | None,
    now: datetime | None = None,
    template: cnil.Template = cnil.CNIL_TELESERVICE,
) -> Filing:
    """Snapshot the breach file as a filing and queue its PDF dossier; late without reasons is refused (Art. 33(1))."""
    now = now or timezone.now()
    # One preparation at a time per breach file: versions stay consecutive.
    breach_file = BreachFile.objects.select_for_update().select_related("incident", "controller").get(pk=breach_file.pk)
    initial = submitted_initial(breach_file)
    if kind == Filing.Kind.INITIAL and initial is not None:
        raise ValidationError(
            _("The initial notification was already filed (case %(number)s): prepare a complementary one.")
            % {"number": initial.cnil_case_number},
            code="initial_already_filed",
        )
    if kind == Filing.Kind.COMPLEMENTARY and initial is None:
        raise ValidationError(
            _("A complementary notification refers to the initial one: record the initial submission first."),
            code="no_initial_filing",
        )
    if kind not in Filing.Kind.values:
        raise ValidationError(_("Unknown filing type."), code="invalid_kind")
    version = (Filing.objects.filter(breach_file=breach_file).aggregate(last=models.Max("version"))["last"] or 0) + 1
    completeness = check_completeness(breach_file=breach_file, kind=kind, now=now, version=version, template=template)
    if completeness.blocking:
        # Art. 33(1): the same rule, and the same error, as recording the notification.
        breach_file.ensure_notification_allowed(at=now)
    previous = Filing.objects.filter(breach_file=breach_file).submitted().order_by("-submitted_at", "-version").first()
    initial_case_number = initial.cnil_case_number if initial and kind == Filing.Kind.COMPLEMENTARY else ""
    snapshot = completeness.values
    filing = Filing.objects.create(
        breach_file=breach_file,
        kind=kind,
        version=version,
        template=template.key,
        initial=initial if kind == Filing.Kind.COMPLEMENTARY else None,
        initial_case_number=initial_case_number,
        previous=previous,
        snapshot=snapshot,
        changes=cnil.changed_items(template, previous.snapshot, snapshot) if previous else [],
        missing=[gap.as_json() for gap in completeness.missing],
        unknown=[gap.as_json() for gap in completeness.unknown],
        is_complete=completeness.is_complete,
        is_late=completeness.is_late,
        prepared_at=now,
        prepared_by=user,
    )
    record_event(
        breach_file=breach_file,
        kind="filing_prepared",
        actor=user,
        at=now,
        summary=_("CNIL filing v%(version)s prepared (%(kind)s, %(state)s).")
        % {
            "version": version,
            "kind": filing.get_kind_display(),
            "state": _("complete") if filing.is_complete else _("incomplete: phased notification"),
        },
    )
    record_audit(
        user=user,
        action=AuditEvent.Action.CREATE,
        object_type="filing",
        object_id=filing.pk,
        organisation_id=breach_file.controller_id,
        detail=f"v{version} {kind}",
    )
    enqueue(tasks.generate_filing_dossier, filing.pk)
    return filing


def dossier_context(filing: Filing) -> dict[str, object]:
    """Lay out a filing's snapshot for the dossier and the summary page; nothing read from the live breach file."""
    template = cnil.TEMPLATES[filing.template]
    changed_keys = {str(change["key"]) for change in filing.changes}
    sections = cnil.lay_out(template, filing.snapshot, changed_keys)
    breach_file = filing.breach_file
    return {
        "filing": filing,
        "template": template,
        "breach_file": breach_file,
        "organisation_name": breach_file.controller.name,
        "reference": f"{breach_file.incident.reference} / {breach_file.controller.code}",
        "sections": [section for section in sections if not section.is_annex],
        "annexes": [section for section in sections if section.is_annex],
        "changes": filing.changes,
        "missing": filing.missing,
        "unknown": filing.unknown,
        "prepared_at": paris_datetime(filing.prepared_at),
        "previous": filing.previous,
        "not_known": cnil.NOT_KNOWN,
    }


def generate_filing_dossier(*, filing_id: int) -> Filing | None:
    """Render a filing's PDF dossier into the private storage; a second run finds it done."""
    filing = (
        Filing.objects.select_related("breach_file__incident", "breach_file__controller", "previous")
        .filter(pk=filing_id)
        .first()
    )
    if filing is None:
        return None
    if filing.state == Filing.State.READY and storage.exists(filing.pdf_path):
        return filing
    try:
        rendered = pdf.render_pdf("notifications/pdf/dossier.html", dossier_context(filing))
        relative = f"filings/{filing.breach_file_id}/dossier-{filing.pk}-v{filing.version}.pdf"
        storage.store_private(relative, rendered.content)
    except Exception as error:
        logger.exception("dossier of filing %s failed", filing.pk)
        Filing.objects.filter(pk=filing.pk).update(state=Filing.State.FAILED, error=type(error).__name__)
        filing.refresh_from_db()
        return filing
    Filing.objects.filter(pk=filing.pk).update(
        state=Filing.State.READY,
        pdf_path=relative,
        pdf_sha256=rendered.sha256,
        pdf_pages=rendered.pages,
        generated_at=timezone.now(),
        error="",
    )
    filing.refresh_from_db()
    return filing


def regenerate_filing_dossier(*, filing: Filing, user: User | None) -> Filing:
    """Queue a failed dossier again."""
    updated = Filing.objects.filter(pk=filing.pk, state=Filing.State.FAILED).update(
        state=Filing.State.PENDING, error=""
    )
    if not updated:
        return filing
    record_audit(
        user=user,
        action=AuditEvent.Action.CHANGE,
        object_type="filing",
        object_id=filing.pk,
        organisation_id=filing.breach_file.controller_id,
        detail="regenerate",
    )
    enqueue(tasks.generate_filing_dossier, filing.pk)
    return filing


@transaction.atomic
def record_submission(
    *,
    filing: Filing,
    user: User | None,
    submitted_at: datetime,
    case_number: str,
    delay_reasons: str | None = None,
    now: datetime | None = None,
) -> Filing:
    """Record that the DPO filed on the teleservice; the breach file's status follows."""
    now = now or timezone.now()
    filing = Filing.objects.select_for_update(of=("self",)).select_related("breach_file", "initial").get(pk=filing.pk)
    case_number = case_number.strip()
    if filing.submitted_at is not None:
        raise ValidationError(_("This filing's submission is already recorded."), code="already_submitted")
    if submitted_at > now + timedelta(minutes=5):
        raise ValidationError({"submitted_at": _("The submission cannot be in the future.")})
    if submitted_at < filing.breach_file.became_aware_at:
        raise ValidationError({"submitted_at": _("The submission cannot precede awareness of the breach.")})
    breach_file = filing.breach_file
    if filing.kind == Filing.Kind.INITIAL:
        if not case_number:
            raise ValidationError({"case_number": _("Give the case number the CNIL assigned.")})
        if submitted_initial(breach_file) is not None:
            raise ValidationError(_("Another initial notification is already recorded."), code="initial_already_filed")
        record_authority_notification(
            breach_file=breach_file, notified_at=submitted_at, user=user, delay_reasons=delay_reasons
        )
    else:
        case_number = case_number or filing.initial_case_number
        breach_file.refresh_from_db()
        if breach_file.can_move_to(Status.COMPLEMENTED):
            breach_file.status = Status.COMPLEMENTED
            breach_file.save(update_fields=["status", "updated_at"])
        record_event(
            breach_file=breach_file,
            kind="authority_complemented",
            at=submitted_at,
            actor=user,
            summary=_("Complementary notification v%(version)s filed (case %(number)s).")
            % {"version": filing.version, "number": filing.initial_case_number},
        )
    filing.submitted_at = submitted_at
    filing.cnil_case_number = case_number
    filing.submission_recorded_by = user
    filing.submission_recorded_at = now
    filing.save(update_fields=["submitted_at", "cnil_case_number", "submission_recorded_by", "submission_recorded_at"])
    record_audit(
        user=user,
        action=AuditEvent.Action.CHANGE,
        object_type="filing",
        object_id=filing.pk,
        organisation_id=breach_file.controller_id,
        detail="submission recorded",
    )
    return filing


# Processor notices (Art. 33(2)) -------------------------------------------------------------------------------


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
                notice, created = ProcessorNotice.objects.get_or_create(
                    breach_file=breach_file, defaults={"incident": incident, "prepared_at": now, "prepared_by": user}
                )
        except IntegrityError:
            # Another run created it between our read and our insert: that run sends it.
            continue
        if created:
            queued.append(notice)
            enqueue(tasks.deliver_processor_notice, notice.pk)
        elif notice.email_state == EmailState.SENT:
            already.append(notice)
        elif notice.email_state == EmailState.FAILED and notice.attempts < MAX_ATTEMPTS:
            requeued.append(notice)
            enqueue(tasks.deliver_processor_notice, notice.pk)
        else:
            waiting.append(notice)
    record_audit(
        user=user,
        action=AuditEvent.Action.CREATE,
        object_type="processor_notices",
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
        ProcessorNotice.objects.select_related("breach_file__incident__processor", "breach_file__controller")
        .filter(pk=notice_id)
        .first()
    )
    if notice is None or notice.email_state == EmailState.SENT:
        return notice
    if not storage.exists(notice.letter_path):
        rendered = pdf.render_pdf("notifications/pdf/processor_notice.html", processor_letter_context(notice, now=now))
        relative = f"processor-notices/{notice.incident_id}/notice-{notice.pk}.pdf"
        storage.store_private(relative, rendered.content)
        ProcessorNotice.objects.filter(pk=notice.pk).update(letter_path=relative, letter_sha256=rendered.sha256)
        notice.letter_path, notice.letter_sha256 = relative, rendered.sha256
    # Claim by conditional update: of two workers, one sends.
    claimed = ProcessorNotice.objects.filter(
        pk=notice.pk, email_state__in=[EmailState.PENDING, EmailState.FAILED], attempts__lt=MAX_ATTEMPTS
    ).update(email_state=EmailState.SENDING, attempts=F("attempts") + 1, claimed_at=now)
    if not claimed:
        return notice
    breach_file = notice.breach_file
    recipients = dpo_recipients(breach_file.controller)
    if not recipients:
        ProcessorNotice.objects.filter(pk=notice.pk).update(
            email_state=EmailState.FAILED, last_error="no DPO address", attempts=MAX_ATTEMPTS
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
    delivery = emails.send(message)
    informed_at = timezone.now() if delivery.state == EmailState.SENT else None
    ProcessorNotice.objects.filter(pk=notice.pk).update(
        email_state=delivery.state, last_error=delivery.error, recipients=recipients, informed_at=informed_at
    )
    if informed_at is not None:
        # Art. 33(2): record when the controller was told; its own clock still starts at its own awareness.
        updated = BreachFile.objects.filter(pk=breach_file.pk, processor_informed_at__isnull=True).update(
            processor_informed_at=informed_at
        )
        if updated:
            record_event(
                breach_file=breach_file,
                kind="processor_informed",
                at=informed_at,
                summary=_("Informed by the processor (Art. 33(2)): notice sent to the DPO."),
            )
    notice.refresh_from_db()
    return notice


# Deadline reminders ---------------------------------------------------------------------------------------------

REMINDER_LEADS = [
    (DeadlineReminder.Kind.PASSED, timedelta(0)),
    (DeadlineReminder.Kind.HOURS_6, timedelta(hours=6)),
    (DeadlineReminder.Kind.HOURS_24, timedelta(hours=24)),
]


def due_reminder(*, deadline: datetime, now: datetime) -> str | None:
    """Return the one reminder due now: the latest threshold crossed (a missed earlier one is not sent late)."""
    for kind, lead in REMINDER_LEADS:
        if now >= deadline - lead:
            return kind
    return None


def schedule_deadline_reminders(*, now: datetime) -> list[DeadlineReminder]:
    """Add the reminders due now to the ledger and queue them; the unique ledger keeps each to once."""
    created = []
    candidates = (
        BreachFile.objects.awaiting_notification()
        .filter(became_aware_at__lte=now - (timedelta(hours=72) - timedelta(hours=24)))
        .only("pk", "became_aware_at", "status", "authority_notified_at")
    )
    existing = set(DeadlineReminder.objects.filter(breach_file__in=candidates).values_list("breach_file_id", "kind"))
    for breach_file in candidates:
        kind = due_reminder(deadline=breach_file.authority_deadline, now=now)
        if kind is None or (breach_file.pk, kind) in existing:
            continue
        try:
            with transaction.atomic():
                reminder = DeadlineReminder.objects.create(
                    breach_file=breach_file, kind=kind, deadline_at=breach_file.authority_deadline, created_at=now
                )
        except IntegrityError:
            continue
        created.append(reminder)
        enqueue(tasks.send_deadline_reminder, reminder.pk)
    return created


def sweep(*, now: datetime) -> dict[str, int]:
    """Queue again what lost its wake-up message; mark unknown what a dead worker left mid-send."""
    stale = now - CLAIM_TIMEOUT
    counts = {
        "reminders_unknown": DeadlineReminder.objects.filter(state=EmailState.SENDING, claimed_at__lt=stale).update(
            state=EmailState.UNKNOWN, last_error="worker stopped while sending"
        ),
        "notices_unknown": ProcessorNotice.objects.filter(email_state=EmailState.SENDING, claimed_at__lt=stale).update(
            email_state=EmailState.UNKNOWN, last_error="worker stopped while sending"
        ),
    }
    retry = Q(state=EmailState.PENDING, created_at__lt=now - REQUEUE_AFTER) | Q(
        state=EmailState.FAILED, attempts__lt=MAX_ATTEMPTS
    )
    reminder_ids = list(DeadlineReminder.objects.filter(retry).values_list("pk", flat=True))
    for reminder_id in reminder_ids:
        enqueue(tasks.send_deadline_reminder, reminder_id)
    notice_ids = list(
        ProcessorNotice.objects.filter(
            Q(email_state=EmailState.PENDING, prepared_at__lt=now - REQUEUE_AFTER)
            | Q(email_state=EmailState.FAILED, attempts__lt=MAX_ATTEMPTS)
        ).values_list("pk", flat=True)
    )
    for notice_id in notice_ids:
        enqueue(tasks.deliver_processor_notice, notice_id)
    filing_ids = list(
        Filing.objects.filter(state=Filing.State.PENDING, prepared_at__lt=now - REQUEUE_AFTER).values_list(
            "pk", flat=True
        )
    )
    for filing_id in filing_ids:
        enqueue(tasks.generate_filing_dossier, filing_id)
    counts.update(
        reminders_requeued=len(reminder_ids), notices_requeued=len(notice_ids), filings_requeued=len(filing_ids)
    )
    return counts


def send_deadline_reminder(*, reminder_id: int, now: datetime | None = None) -> DeadlineReminder | None:
    """Send one reminder to the lab's DPO and the group's compliance officers, at most once."""
    now = now or timezone.now()
    claimed = DeadlineReminder.objects.filter(
        pk=reminder_id, state__in=[EmailState.PENDING, EmailState.FAILED], attempts__lt=MAX_ATTEMPTS
    ).update(state=EmailState.SENDING, attempts=F("attempts") + 1, claimed_at=now)
    reminder = (
        DeadlineReminder.objects.select_related("breach_file__incident", "breach_file__controller")
        .filter(pk=reminder_id)
        .first()
    )
    if not claimed or reminder is None:
        return reminder
    breach_file = reminder.breach_file
    if not breach_file.is_awaiting_notification:
        DeadlineReminder.objects.filter(pk=reminder.pk).update(
            state=EmailState.CANCELLED, last_error="notified meanwhile"
        )
        reminder.refresh_from_db()
        return reminder
    recipients = _dedupe([*dpo_recipients(breach_file.controller), *compliance_recipients(breach_file.controller)])
    if not recipients:
        DeadlineReminder.objects.filter(pk=reminder.pk).update(
            state=EmailState.FAILED, last_error="no recipient address", attempts=MAX_ATTEMPTS
        )
        reminder.refresh_from_db()
        return reminder
    # Time left when the reminder fell due: the message matches its kind even if a worker picks it up late.
    time_left = reminder.deadline_at - reminder.created_at
    message = emails.deadline_reminder(
        context={
            "breach_file": breach_file,
            "reminder": reminder,
            "deadline": paris_datetime(reminder.deadline_at),
            "aware": paris_datetime(breach_file.became_aware_at),
            "hours_left": max(int(time_left.total_seconds() // 3600), 0),
            "minutes_left": max(int(time_left.total_seconds() // 60) % 60, 0),
            "is_passed": reminder.kind == DeadlineReminder.Kind.PASSED,
        },
        recipients=recipients,
    )
    delivery = emails.send(message)
    DeadlineReminder.objects.filter(pk=reminder.pk).update(
        state=delivery.state,
        last_error=delivery.error,
        recipient_count=len(recipients),
        sent_at=timezone.now() if delivery.state == EmailState.SENT else None,
    )
    reminder.refresh_from_db()
    return reminder


# Compliance dashboard and register (Art. 33(5)) ---------------------------------------------------------------


@dataclass(frozen=True)
class BreachFileRow:
    """One breach file with what the dashboard and the register show of it."""

    breach_file: BreachFile
    assessment: RiskAssessment | None
    decisions: dict[str, Decision]
    decision_history: list[Decision]
    filings: list[Filing]
    notice: ProcessorNotice | None

    @property
    def submitted_filings(self) -> list[Filing]:
        return [filing for filing in self.filings if filing.is_submitted]

    @property
    def case_number(self) -> str:
        initial = next((f for f in self.filings if f.kind == Filing.Kind.INITIAL and f.is_submitted), None)
        return initial.cnil_case_number if initial else ""

    @property
    def notify_decision(self) -> Decision | None:
        return self.decisions.get(DecisionKind.NOTIFY_AUTHORITY)

    @property
    def inform_decision(self) -> Decision | None:
        return self.decisions.get(DecisionKind.INFORM_SUBJECTS)


def _grouped(rows: Iterable[Any]) -> dict[int, list[Any]]:
    grouped: dict[int, list[Any]] = {}
    for row in rows:
        grouped.setdefault(row.breach_file_id, []).append(row)
    return grouped


def breach_file_rows(breach_files: models.QuerySet[BreachFile]) -> list[BreachFileRow]:
    """Load breach files with their assessments, decisions, filings and notices in five queries."""
    files = list(breach_files.select_related("incident", "controller", "incident__processor"))
    ids = [breach_file.pk for breach_file in files]
    assessments = _grouped(
        RiskAssessment.objects.filter(breach_file__in=ids).latest_first().select_related("assessed_by")
    )
    decisions = _grouped(Decision.objects.filter(breach_file__in=ids).latest_first().select_related("decided_by"))
    filings = _grouped(Filing.objects.filter(breach_file__in=ids).order_by("version"))
    notices = {notice.breach_file_id: notice for notice in ProcessorNotice.objects.filter(breach_file__in=ids)}
    rows = []
    for breach_file in files:
        history: list[Decision] = decisions.get(breach_file.pk, [])
        current: dict[str, Decision] = {}
        for decision in history:
            current.setdefault(decision.kind, decision)
        latest = assessments.get(breach_file.pk, [])
        rows.append(
            BreachFileRow(
                breach_file=breach_file,
                assessment=latest[0] if latest else None,
                decisions=current,
                decision_history=history,
                filings=filings.get(breach_file.pk, []),
                notice=notices.get(breach_file.pk),
            )
        )
    return rows


def visible_breach_files(
    *,
    user: User,
    organisation: Organisation | None = None,
    status: str = "",
    incident: Incident | None = None,
    aware_from: date | None = None,
    aware_until: date | None = None,
) -> BreachFileQuerySet:
    """Filter the breach files the user may see by organisation, status, incident and period of awareness."""
    breach_files = BreachFile.objects.visible_to(user)
    if organisation is not None:
        breach_files = breach_files.filter(controller=organisation)
    if status:
        breach_files = breach_files.filter(status=status)
    if incident is not None:
        breach_files = breach_files.filter(incident=incident)
    if aware_from is not None:
        breach_files = breach_files.filter(became_aware_at__gte=datetime.combine(aware_from, time.min, tzinfo=PARIS))
    if aware_until is not None:
        end = datetime.combine(aware_until + timedelta(days=1), time.min, tzinfo=PARIS)
        breach_files = breach_files.filter(became_aware_at__lt=end)
    return breach_files


def _decision_text(decision: Decision | None) -> str:
    if decision is None:
        return ""
    levels = f" [{', '.join(decision.levels)}]" if decision.levels else ""
    return f"{decision.outcome}{levels}"


def _time_left_text(breach_file: BreachFile, now: datetime) -> str:
    if not breach_file.is_awaiting_notification:
        return ""
    seconds = int(breach_file.time_left(now=now).total_seconds())
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    return f"{sign}{seconds // 3600}h{(seconds % 3600) // 60:02d}"


DASHBOARD_HEADER = [
    "incident",
    "organisation_code",
    "organisation",
    "status",
    "became_aware_at",
    "deadline_at",
    "time_left",
    "is_overdue",
    "authority_notified_at",
    "risk_score",
    "risk_level",
    "notify_decision",
    "inform_decision",
    "filings_prepared",
    "filings_submitted",
    "cnil_case_number",
    "processor_informed_at",
]


def dashboard_rows_for_csv(rows: list[BreachFileRow], *, now: datetime) -> list[list[object]]:
    result: list[list[object]] = []
    for row in rows:
        breach_file = row.breach_file
        result.append(
            [
                breach_file.incident.reference,
                breach_file.controller.code,
                breach_file.controller.name,
                breach_file.status,
                paris_datetime(breach_file.became_aware_at),
                paris_datetime(breach_file.authority_deadline),
                _time_left_text(breach_file, now),
                "yes" if breach_file.is_overdue(now=now) else "no",
                paris_datetime(breach_file.authority_notified_at),
                f"{row.assessment.score.normalize():f}" if row.assessment else "",
                row.assessment.level if row.assessment else "",
                _decision_text(row.notify_decision),
                _decision_text(row.inform_decision),
                len(row.filings),
                len(row.submitted_filings),
                row.case_number,
                paris_datetime(breach_file.processor_informed_at),
            ]
        )
    return result


REGISTER_HEADER = [
    "incident",
    "organisation_code",
    "organisation",
    "status",
    "became_aware_at",
    "started_at",
    "discovered_at",
    "ended_at",
    "is_ongoing",
    "natures",
    "origin",
    "cause",
    "description",
    "person_categories",
    "approximate_persons",
    "approximate_records",
    "data_categories",
    "consequences",
    "consequences_detail",
    "severity",
    "risk_assessment",
    "risk_level",
    "measures_immediate",
    "measures_medium_term",
    "measures_long_term",
    "notify_decision",
    "notify_rationale",
    "inform_decision",
    "inform_rationale",
    "authority_notified_at",
    "delay_reasons",
    "filings",
    "cnil_case_number",
]


def _decision_record(decision: Decision | None) -> tuple[str, str]:
    if decision is None:
        return "", ""
    who = decision.decided_by.get_username() if decision.decided_by else ""
    rationale = decision.rationale
    if decision.override_rationale:
        rationale += f" | override: {decision.override_rationale}"
    if decision.public_communication:
        rationale += f" | public communication {paris_datetime(decision.public_communication_at)}: {decision.public_communication}"
    return f"{_decision_text(decision)} by {who} at {paris_datetime(decision.decided_at)}", rationale


def register_rows_for_csv(rows: list[BreachFileRow]) -> list[list[object]]:
    result: list[list[object]] = []
    for row in rows:
        breach_file = row.breach_file
        notify, notify_rationale = _decision_record(row.notify_decision)
        inform, inform_rationale = _decision_record(row.inform_decision)
        filings = " | ".join(
            f"v{f.version} {f.kind} prepared {paris_datetime(f.prepared_at)}"
            + (
                f", filed {paris_datetime(f.submitted_at)} case {f.cnil_case_number}"
                if f.is_submitted
                else ", not filed"
            )
            for f in row.filings
        )
        result.append(
            [
                breach_file.incident.reference,
                breach_file.controller.code,
                breach_file.controller.name,
                breach_file.status,
                paris_datetime(breach_file.became_aware_at),
                paris_datetime(breach_file.started_at),
                paris_datetime(breach_file.discovered_at),
                paris_datetime(breach_file.ended_at),
                "yes" if breach_file.is_ongoing else "no",
                ", ".join(breach_file.natures),
                breach_file.origin,
                breach_file.cause,
                breach_file.incident.description,
                ", ".join(breach_file.person_categories),
                breach_file.approximate_persons if breach_file.approximate_persons is not None else "",
                breach_file.approximate_records if breach_file.approximate_records is not None else "",
                ", ".join(breach_file.data_categories),
                ", ".join(breach_file.consequences),
                breach_file.consequences_detail,
                breach_file.severity,
                row.assessment.severity.arithmetic() if row.assessment else "",
                row.assessment.level if row.assessment else "",
                breach_file.measures_immediate,
                breach_file.measures_medium_term,
                breach_file.measures_long_term,
                notify,
                notify_rationale,
                inform,
                inform_rationale,
                paris_datetime(breach_file.authority_notified_at),
                breach_file.delay_reasons,
                filings,
                row.case_number,
            ]
        )
    return result


def register_pdf(*, rows: list[BreachFileRow], title_filters: dict[str, str], user: User) -> pdf.RenderedPdf:
    """Render the register (Art. 33(5)) as a PDF in French: every breach file, notified or not."""
    return pdf.render_pdf(
        "notifications/pdf/register.html",
        {
            "rows": [
                {
                    "row": row,
                    "status": cnil.STATUS_FR[Status(row.breach_file.status)],
                    "decisions": [
                        {
                            "kind": cnil.DECISION_KIND_FR[DecisionKind(decision.kind)],
                            "summary": cnil.decision_summary_fr(decision),
                            "decision": decision,
                        }
                        for decision in row.decision_history
                    ],
                }
                for row in rows
            ],
            "filters": title_filters,
            "generated_at": paris_datetime(timezone.now()),
            "generated_by": user.get_username(),
        },
    )


# Demo data --------------------------------------------------------------------------------------------------


def seed_demo_filings(*, incident: Incident, now: datetime) -> list[Filing]:
    """Leave the lab aware the longest with an assessed risk, decisions and an initial notification filed on time.

    The other labs stay as seeded: those past 72 hours remain overdue without a filing.
    """
    if Filing.objects.filter(breach_file__incident=incident).exists():
        return []
    breach_file = (
        BreachFile.objects.filter(incident=incident, authority_notified_at__isnull=True)
        .select_related("controller", "incident")
        .order_by("became_aware_at", "controller__code")
        .first()
    )
    if breach_file is None:
        return []
    dpo = User.objects.filter(role=Role.DPO, organisation=breach_file.controller, is_active=True).order_by("pk").first()
    aware = breach_file.became_aware_at
    assessment_at = min(aware + timedelta(hours=6), now)
    assess_risk(
        breach_file=breach_file,
        user=dpo,
        exposures=["identity", "contact", "nir", "insurance", "physician", "blood_group", "test_results", "hiv"],
        identification="maximum",
        confidentiality="unknown_recipients",
        integrity="none",
        availability="none",
        is_malicious=True,
        notes="Fichier publié sur internet, accessible à tous ; noms, NIR et données de santé.",
        at=assessment_at,
    )
    record_decision(
        breach_file=breach_file,
        user=dpo,
        kind=DecisionKind.NOTIFY_AUTHORITY,
        outcome="notify",
        rationale="Données de santé et NIR publiés : risque très élevé, notification obligatoire.",
        at=assessment_at,
    )
    record_decision(
        breach_file=breach_file,
        user=dpo,
        kind=DecisionKind.INFORM_SUBJECTS,
        outcome="inform",
        levels=["high", "very_high"],
        rationale="Risque élevé pour les personnes dont des données de santé ont été publiées.",
        at=assessment_at,
    )
    submitted_at = min(aware + timedelta(hours=60), now)
    filing_at = submitted_at - timedelta(minutes=30)
    filing = prepare_filing(breach_file=breach_file, kind=Filing.Kind.INITIAL, user=dpo, now=filing_at)
    generate_filing_dossier(filing_id=filing.pk)
    delay_reasons = None
    if breach_file.is_late_at(submitted_at) and not breach_file.delay_reasons:
        delay_reasons = "Liste des patients concernés transmise tardivement par le sous-traitant."
    record_submission(
        filing=filing,
        user=dpo,
        submitted_at=submitted_at,
        case_number=f"CNIL-{submitted_at:%Y}-{breach_file.pk:06d}",
        delay_reasons=delay_reasons,
        now=now,
    )
    filing.refresh_from_db()
    return [filing]
