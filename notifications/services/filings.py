"""Art. 33(1), (3), (4): prepare a CNIL filing, render its dossier, record its submission."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from breachdesk.assessment import (
    current_decisions,
    latest_assessment,
    subjects_to_inform,
)
from breachdesk.formats import paris_datetime
from breachdesk.models import (
    AuditEvent,
    BreachFile,
    User,
)
from breachdesk.services import record_audit, record_authority_notification, record_event
from breachdesk.taxonomy import Status
from notifications import cnil, pdf, storage
from notifications.models import Filing, NotificationAuditObject
from notifications.services.outbound import enqueue
from notifications.tasks import filings as filing_tasks
from notifications.timeline import NotificationTimelineKind

logger = logging.getLogger(__name__)


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
        kind=NotificationTimelineKind.FILING_PREPARED,
        actor=user,
        at=now,
        params={"version": version, "kind": filing.kind, "is_complete": filing.is_complete},
    )
    record_audit(
        user=user,
        action=AuditEvent.Action.CREATE,
        object_type=NotificationAuditObject.FILING,
        object_id=filing.pk,
        organisation_id=breach_file.controller_id,
        detail=f"v{version} {kind}",
    )
    enqueue(filing_tasks.generate_filing_dossier, filing.pk)
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
        object_type=NotificationAuditObject.FILING,
        object_id=filing.pk,
        organisation_id=filing.breach_file.controller_id,
        detail="regenerate",
    )
    enqueue(filing_tasks.generate_filing_dossier, filing.pk)
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
            kind=NotificationTimelineKind.AUTHORITY_COMPLEMENTED,
            at=submitted_at,
            actor=user,
            params={"version": filing.version, "number": filing.initial_case_number},
        )
    filing.submitted_at = submitted_at
    filing.cnil_case_number = case_number
    filing.submission_recorded_by = user
    filing.submission_recorded_at = now
    filing.save(update_fields=["submitted_at", "cnil_case_number", "submission_recorded_by", "submission_recorded_at"])
    record_audit(
        user=user,
        action=AuditEvent.Action.CHANGE,
        object_type=NotificationAuditObject.FILING,
        object_id=filing.pk,
        organisation_id=breach_file.controller_id,
        detail="submission recorded",
    )
    return filing
