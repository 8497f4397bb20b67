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
    DataSubject,
    LateNotificationError,
    User,
)
from breachdesk.models.subjects import AgeGroup
from breachdesk.services import record_audit, record_authority_notification, record_event
from breachdesk.taxonomy import Status
from notifications import cnil, pdf, storage
from notifications.models import Campaign, Filing, NotificationAuditObject
from notifications.selectors.information import persons_informed
from notifications.services.information import record_subjects_informed
from notifications.services.outbound import enqueue
from notifications.tasks import filings as filing_tasks
from notifications.timeline import NotificationTimelineKind

logger = logging.getLogger(__name__)


def subject_counts(breach_file: BreachFile) -> tuple[int, dict[str, int]]:
    """Count the minors and the data subjects per country outside France, in one aggregate query."""
    minors = 0
    countries: dict[str, int] = {}
    rows = (
        DataSubject.objects.filter(breach_file=breach_file)
        .order_by()
        .values("country")
        .annotate(total=Count("pk"), minors=Count("pk", filter=Q(age_group__in=[AgeGroup.CHILD, AgeGroup.ADOLESCENT])))
    )
    for row in rows:
        minors += row["minors"]
        country = (row["country"] or "").upper()
        if country and country != "FR":
            countries[country] = countries.get(country, 0) + row["total"]
    return minors, countries


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
    minors, countries = subject_counts(breach_file)
    informed = persons_informed(breach_file)
    campaign = informed.campaign
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
        minors=minors,
        countries=countries,
        informed=informed,
        email_texts={language: dict(campaign.texts[language]) for language in informed.languages} if campaign else {},
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
    # The ledger may say every covered person was told since the last step: the filing reads the status then.
    if record_subjects_informed(breach_file=breach_file, user=user, now=now):
        breach_file.refresh_from_db()
    version = (Filing.objects.filter(breach_file=breach_file).aggregate(last=models.Max("version"))["last"] or 0) + 1
    completeness = check_completeness(breach_file=breach_file, kind=kind, now=now, version=version, template=template)
    if completeness.blocking:
        # Art. 33(1): the same rule, and the same error, as recording the notification.
        breach_file.ensure_notification_allowed(at=now)
    previous = Filing.objects.filter(breach_file=breach_file).submitted().order_by("-submitted_at", "-version").first()
    initial_case_number = initial.cnil_case_number if initial and kind == Filing.Kind.COMPLEMENTARY else ""
    snapshot = completeness.values
    changes = cnil.changed_items(template, previous.snapshot, snapshot) if previous else []
    if kind == Filing.Kind.COMPLEMENTARY and previous is not None and not changes:
        # Art. 33(4): a complementary notification brings information the CNIL does not have yet.
        raise ValidationError(
            _(
                "Nothing changed since the notification filed on %(date)s (v%(version)s): a complementary "
                "notification brings new information. Update the breach file first."
            )
            % {"date": paris_datetime(previous.submitted_at), "version": previous.version},
            code="nothing_new",
        )
    filing = Filing.objects.create(
        breach_file=breach_file,
        kind=kind,
        version=version,
        template=template.key,
        initial=initial if kind == Filing.Kind.COMPLEMENTARY else None,
        initial_case_number=initial_case_number,
        previous=previous,
        snapshot=snapshot,
        changes=changes,
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
        "prepared_by_name": cnil.person_name(filing.prepared_by),
        "submitted_at": paris_datetime(filing.submitted_at),
        "submission_recorded_by_name": (
            cnil.person_name(filing.submission_recorded_by) if filing.submission_recorded_by else ""
        ),
        "previous": filing.previous,
        "not_known": cnil.NOT_KNOWN,
    }


def model_letters(filing: Filing) -> list[bytes]:
    """Render the model letter in each language the campaign uses, from its frozen texts (DOMAIN.md section 10)."""
    if cnil.is_empty(filing.snapshot.get("models.letters")):
        return []
    from notifications import letters

    campaign = Campaign.objects.filter(breach_file=filing.breach_file).first()
    if campaign is None:
        return []
    assessment = latest_assessment(filing.breach_file)
    exposures = list(assessment.exposures) if assessment is not None else []
    languages = [language for language in ("fr", "en") if language in campaign.texts] + sorted(
        set(campaign.texts) - {"fr", "en"}
    )
    used = set(persons_informed(filing.breach_file).languages)
    return [
        letters.render_preview(
            breach_file=filing.breach_file, language=language, exposures=exposures, texts=campaign.texts[language]
        )
        for language in languages
        if language in used
    ]


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
        rendered = pdf.render_pdf(
            "notifications/pdf/dossier.html", dossier_context(filing), author=filing.breach_file.controller.name
        )
        rendered = pdf.append_documents(rendered, model_letters(filing))
        relative = f"filings/{filing.breach_file_id}/dossier-{filing.pk}-v{filing.version}.pdf"
        storage.store_encrypted(relative, rendered.content)
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


def _refresh_timeliness(*, filing: Filing, is_late: bool) -> None:
    """Read the late flag and the reasons again at the submission time; the dossier follows when they change."""
    template = cnil.TEMPLATES[filing.template]
    context = cnil.FilingContext(
        breach_file=filing.breach_file,
        kind=filing.kind,
        version=filing.version,
        initial_case_number=filing.initial_case_number,
        is_late=is_late,
        assessment=None,
        decisions={},
    )
    values = cnil.timeliness_values(template, context)
    if is_late == filing.is_late and all(filing.snapshot.get(key) == value for key, value in values.items()):
        return
    filing.snapshot = {**filing.snapshot, **values}
    filing.is_late = is_late
    filing.missing = [
        gap for gap in filing.missing if not (gap["key"] in values and not cnil.is_empty(values[str(gap["key"])]))
    ]
    filing.is_complete = not filing.missing and not filing.unknown
    filing.state = Filing.State.PENDING


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
        reasons = breach_file.delay_reasons if delay_reasons is None else delay_reasons
        if breach_file.is_late_at(submitted_at) and not reasons.strip():
            # Art. 33(1): lateness is decided by when the CNIL received it, not when the dossier was prepared.
            raise LateNotificationError(
                _(
                    "Submitted on %(submitted)s, after the deadline of %(deadline)s (72 hours after awareness): "
                    "give the reasons for the delay (Art. 33(1))."
                )
                % {
                    "submitted": paris_datetime(submitted_at),
                    "deadline": paris_datetime(breach_file.authority_deadline),
                },
                code="delay_reasons_required",
            )
        breach_file = record_authority_notification(
            breach_file=breach_file, notified_at=submitted_at, user=user, delay_reasons=delay_reasons
        )
        filing.breach_file = breach_file
        _refresh_timeliness(filing=filing, is_late=breach_file.is_late_at(submitted_at))
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
    filing.save(
        update_fields=[
            "submitted_at",
            "cnil_case_number",
            "submission_recorded_by",
            "submission_recorded_at",
            "snapshot",
            "missing",
            "is_complete",
            "is_late",
            "state",
        ]
    )
    if filing.state == Filing.State.PENDING:
        enqueue(filing_tasks.generate_filing_dossier, filing.pk)
    record_audit(
        user=user,
        action=AuditEvent.Action.CHANGE,
        object_type=NotificationAuditObject.FILING,
        object_id=filing.pk,
        organisation_id=breach_file.controller_id,
        detail="submission recorded",
    )
    return filing
