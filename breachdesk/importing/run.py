"""One import run: read, validate and store a file in one transaction, then record how it ended, whatever it was."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import IO

from django.db import IntegrityError, transaction
from django.utils import timezone

from breachdesk.exposure_summary import add_exposure_sets
from breachdesk.importing import duplicates, postgres
from breachdesk.importing.address import forget_personal_caches
from breachdesk.importing.importer import Importer
from breachdesk.importing.messages import deferred as _
from breachdesk.importing.outcome import (
    already_imported_message,
    finish_early,
    record_outcome,
    save_counts,
    summary,
    update_breach_file_counts,
)
from breachdesk.importing.reader import FileFacts, FileProblem, Table
from breachdesk.importing.report import Report
from breachdesk.importing.selectors import earlier_import
from breachdesk.importing.table import check_row_count, limits, open_table
from breachdesk.importing.validation import RowValidator
from breachdesk.models import SubjectImport, User

logger = logging.getLogger(__name__)

State = SubjectImport.State


class Superseded(Exception):
    """Raised when another run took this import over (this one was thought dead): leave everything to it."""


class _Rejected(Exception):
    """Raised inside the transaction to roll it back when the file breaks a rule."""


class _DryRunDone(Exception):
    """Raised inside the transaction to roll back a dry run that found nothing wrong."""


class _AlreadyImported(Exception):
    def __init__(self, earlier: SubjectImport) -> None:
        super().__init__("already imported")
        self.earlier = earlier


def run_import(
    subject_import: SubjectImport, *, opener: Callable[[], IO[bytes]], facts: FileFacts, dry_run: bool
) -> SubjectImport:
    """Read, validate and store one file in one transaction; record the outcome whatever it is."""
    _max_bytes, max_rows = limits()
    report = Report()
    importer = Importer(subject_import, report, dry_run=dry_run)
    user = subject_import.uploaded_by
    try:
        with opener() as stream:
            table, validator = _open_checked_table(subject_import, stream, opener, facts, report, max_rows)
            importer.publish()
            with transaction.atomic():
                _store(subject_import, importer, table, validator, dry_run=dry_run, user=user)
    except _AlreadyImported as already:
        finish_early(subject_import, state=State.ALREADY_IMPORTED, message=already_imported_message(already.earlier))
        record_outcome(subject_import, user=user)
    except _DryRunDone:
        _end_valid(subject_import, importer, report, user=user)
    except (_Rejected, FileProblem, IntegrityError) as reason:
        _end_rejected(subject_import, importer, report, reason, opener=opener, facts=facts, user=user)
    except Superseded:
        raise
    except Exception as error:
        _end_failed(subject_import, error, user=user)
    finally:
        # What the file's rows taught the caches (names, address lines, towns) leaves the worker with the import.
        forget_personal_caches()
    return subject_import


def _open_checked_table(
    subject_import: SubjectImport,
    stream: IO[bytes],
    opener: Callable[[], IO[bytes]],
    facts: FileFacts,
    report: Report,
    max_rows: int,
) -> tuple[Table, RowValidator]:
    """Open the file as a table within the row limit, note how it reads, and reject a header nothing can be read by."""
    table, claimed = open_table(stream, facts, max_rows)
    subject_import.delimiter = table.delimiter
    if claimed is not None:
        subject_import.rows_expected = max(claimed, 0)
    check_row_count(subject_import, opener, facts, claimed)
    SubjectImport.objects.filter(pk=subject_import.pk).update(
        rows_expected=subject_import.rows_expected, delimiter=subject_import.delimiter
    )
    validator = RowValidator(table.header, report, header_line=table.header_line)
    if not validator.is_usable:
        raise _Rejected
    return table, validator


def _store(
    subject_import: SubjectImport,
    importer: Importer,
    table: Table,
    validator: RowValidator,
    *,
    dry_run: bool,
    user: User | None,
) -> None:
    """Store the rows under the breach file's lock and end as imported; raise to roll back anything else."""
    report = importer.report
    postgres.lock_breach_file(subject_import.breach_file, heartbeat=importer.publish)
    _check_still_to_do(subject_import, dry_run=dry_run)
    importer.prepare()
    importer.consume(table.rows, validator)
    if not importer.rows_read:
        report.error(0, "", "no_rows", _("The file holds a header row but no data subject."))
    if report.has_errors:
        raise _Rejected
    duplicates.report_same_identity_twice(importer)
    duplicates.record_same_people_elsewhere(importer, heartbeat=importer.publish)
    if dry_run:
        raise _DryRunDone
    _end_imported(subject_import, importer, report, user=user)


def _check_still_to_do(subject_import: SubjectImport, *, dry_run: bool) -> None:
    """Stop if another run took this import over or, unless a dry run, if the same file was imported meanwhile."""
    if not SubjectImport.objects.filter(
        pk=subject_import.pk, state=State.RUNNING, started_at=subject_import.started_at
    ).exists():
        raise Superseded
    if not dry_run:
        earlier = earlier_import(subject_import.breach_file, subject_import.file_sha256)
        if earlier is not None:
            raise _AlreadyImported(earlier)


def _end_imported(subject_import: SubjectImport, importer: Importer, report: Report, *, user: User | None) -> None:
    """Save the import as imported and the breach file's numbers, unless the DPO overrode them."""
    save_counts(subject_import, importer, report)
    add_exposure_sets(breach_file_id=subject_import.breach_file_id, counts=importer.exposure_sets)
    subject_import.state = State.IMPORTED
    subject_import.finished_at = timezone.now()
    messages = summary(subject_import)
    if subject_import.breach_file.counts_override_reason.strip():
        messages.append(_("The breach file's counts were kept: they are overridden."))
    else:
        update_breach_file_counts(subject_import.breach_file)
    subject_import.outcome = [message.to_json() for message in messages]
    subject_import.save()
    record_outcome(subject_import, user=user)


def _end_valid(subject_import: SubjectImport, importer: Importer, report: Report, *, user: User | None) -> None:
    """Save a dry run that found nothing wrong, once its transaction is rolled back."""
    save_counts(subject_import, importer, report)
    subject_import.state = State.VALID
    subject_import.finished_at = timezone.now()
    subject_import.outcome = [message.to_json() for message in summary(subject_import)]
    subject_import.save()
    record_outcome(subject_import, user=user)


def _end_rejected(
    subject_import: SubjectImport,
    importer: Importer,
    report: Report,
    reason: _Rejected | FileProblem | IntegrityError,
    *,
    opener: Callable[[], IO[bytes]],
    facts: FileFacts,
    user: User | None,
) -> None:
    """Save a rejected import, its report naming the first line of each duplicate, once nothing is stored."""
    if isinstance(reason, FileProblem):
        report.error(reason.line, reason.column, reason.code, reason.message)
    elif isinstance(reason, IntegrityError):
        # Another import into the same breach file committed the same subjects meanwhile.
        report.error(
            0,
            "",
            "concurrent_import",
            _("Another import stored some of these data subjects meanwhile: import the file again."),
        )
    duplicates.complete_duplicate_lines(importer, opener, facts)
    save_counts(subject_import, importer, report)
    subject_import.rows_stored = 0
    subject_import.state = State.REJECTED
    subject_import.finished_at = timezone.now()
    messages = (
        [reason.message] if isinstance(reason, FileProblem) and not importer.rows_read else summary(subject_import)
    )
    subject_import.outcome = [message.to_json() for message in messages]
    subject_import.save()
    record_outcome(subject_import, user=user)


def _end_failed(subject_import: SubjectImport, error: Exception, *, user: User | None) -> None:
    """Save an import an unexpected error stopped, logging the error's type only."""
    # The exception's text may quote a value of the file: log its type only.
    logger.error("import %s failed unexpectedly (%s)", subject_import.pk, type(error).__name__)
    subject_import.state = State.FAILED
    subject_import.finished_at = timezone.now()
    subject_import.rows_stored = 0
    subject_import.outcome = [
        _("An unexpected error stopped the import; nothing was stored. Try again or ask support.").to_json()
    ]
    subject_import.save()
    record_outcome(subject_import, user=user)
