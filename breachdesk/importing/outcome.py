"""How an import ends: its state, counts and message, the breach file's numbers, the timeline and audit trail."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models.functions import Coalesce
from django.utils import timezone

from breachdesk.exposure_summary import exposure_sets
from breachdesk.importing.messages import Message
from breachdesk.importing.messages import deferred as _
from breachdesk.importing.report import Report
from breachdesk.models import AuditEvent, AuditObject, BreachFile, DataSubject, SubjectImport, User
from breachdesk.services import record_audit, record_event
from breachdesk.taxonomy import data_categories_of
from breachdesk.timeline import TimelineKind

if TYPE_CHECKING:
    from breachdesk.importing.importer import Importer

State = SubjectImport.State


def already_imported_message(earlier: SubjectImport) -> Message:
    """Say when and as which import the same file was imported already."""
    when = timezone.localtime(earlier.finished_at or earlier.created_at)
    return _(
        "This file was already imported on %(when)s (import #%(id)s, %(count)s data subjects): nothing was changed."
    ) % {"when": f"{when:%d/%m/%Y %H:%M}", "id": earlier.pk, "count": earlier.rows_stored}


def finish_early(subject_import: SubjectImport, *, state: str, message: Message, report: Report | None = None) -> None:
    """End an import that never reached its rows, saving the state, the message and the report if any."""
    subject_import.state = state
    subject_import.outcome = [message.to_json()]
    subject_import.finished_at = timezone.now()
    if report is not None:
        subject_import.findings = report.to_json()
        subject_import.errors = report.error_count
        subject_import.warnings = report.warning_count
    subject_import.save()


def save_counts(subject_import: SubjectImport, importer: Importer, report: Report) -> None:
    """Copy the importer's counts and the report onto the import (not saved yet)."""
    subject_import.rows_read = importer.rows_read
    subject_import.rows_validated = importer.rows_validated
    subject_import.rows_stored = importer.rows_stored
    subject_import.rows_rejected = importer.rows_rejected
    subject_import.duplicates = importer.duplicates
    subject_import.unreachable = importer.unreachable
    subject_import.addresses_to_review = importer.addresses_to_review
    subject_import.errors = report.error_count
    subject_import.warnings = report.warning_count
    subject_import.findings = report.to_json()


def summary(subject_import: SubjectImport) -> list[Message]:
    """Say how the import ended and what it found."""
    if subject_import.state == State.IMPORTED:
        parts = [_("Imported %(count)s data subjects.") % {"count": subject_import.rows_stored}]
    elif subject_import.state == State.VALID:
        parts = [
            _("Dry run: the file is valid, %(count)s data subjects would be imported.")
            % {"count": subject_import.rows_validated}
        ]
    else:
        parts = [
            _(
                "Rejected: %(errors)s errors on %(rows)s rows; nothing was stored. "
                "Download the report, correct the file and import it again."
            )
            % {"errors": subject_import.errors, "rows": subject_import.rows_rejected}
        ]
    if subject_import.state != State.REJECTED and subject_import.warnings:
        parts.append(
            _("Warnings: %(count)s (cells set aside or facts to check, listed in the report).")
            % {"count": subject_import.warnings}
        )
    if subject_import.addresses_to_review:
        parts.append(
            _("Addresses to review: %(count)s (no letter for them until the address is corrected).")
            % {"count": subject_import.addresses_to_review}
        )
    if subject_import.unreachable:
        parts.append(
            _("%(count)s can be reached neither by post nor by email.") % {"count": subject_import.unreachable}
        )
    if subject_import.duplicates:
        parts.append(_("%(count)s duplicates or possible duplicates reported.") % {"count": subject_import.duplicates})
    return parts


def update_breach_file_counts(breach_file: BreachFile) -> BreachFile:
    """Art. 33(3)(a): approximate numbers of persons and records and the data categories, from the subjects."""
    subjects = DataSubject.objects.filter(breach_file=breach_file)
    records = subjects.count()
    # Rows of one breach file share no patient_ref nor NIR; the same name and birth date count as one person.
    persons = subjects.values(person=Coalesce("identity_index", "patient_ref_index")).distinct().count()
    codes = {code for exposures, _count in exposure_sets(breach_file.pk) for code in exposures}
    categories = data_categories_of(codes)
    BreachFile.objects.filter(pk=breach_file.pk).update(
        approximate_persons=persons, approximate_records=records, data_categories=categories, updated_at=timezone.now()
    )
    breach_file.approximate_persons = persons
    breach_file.approximate_records = records
    breach_file.data_categories = categories
    return breach_file


def record_outcome(subject_import: SubjectImport, *, user: User | None) -> None:
    """Timeline and audit trail of an import that ended: ids and counts only."""
    breach_file = subject_import.breach_file
    if subject_import.state == State.IMPORTED:
        record_event(
            breach_file=breach_file,
            kind=TimelineKind.SUBJECTS_IMPORTED,
            actor=user,
            params={
                "id": subject_import.pk,
                "count": subject_import.rows_stored,
                "unreachable": subject_import.unreachable,
                "duplicates": subject_import.duplicates,
            },
        )
    elif subject_import.state == State.REJECTED and not subject_import.is_dry_run:
        record_event(
            breach_file=breach_file,
            kind=TimelineKind.SUBJECTS_IMPORT_REJECTED,
            actor=user,
            params={"id": subject_import.pk, "errors": subject_import.errors},
        )
    record_audit(
        user=user,
        action=AuditEvent.Action.IMPORT,
        object_type=AuditObject.SUBJECT_IMPORT,
        object_id=subject_import.pk,
        organisation_id=breach_file.controller_id,
        detail=f"{subject_import.state} read={subject_import.rows_read} stored={subject_import.rows_stored}"
        f"{' dry-run' if subject_import.is_dry_run else ''}",
    )
