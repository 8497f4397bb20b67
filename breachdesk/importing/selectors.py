"""Reads of imports: an earlier import of the same file, live counts, how a file was read, imports left behind."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from breachdesk import private_storage
from breachdesk.importing import progress as progress_file
from breachdesk.importing.reader import CSV, DELIMITER_NAMES, ENCODING_NAMES
from breachdesk.models import BreachFile, CrossControllerMatch, SubjectImport, User


def stale_after() -> timedelta:
    """A running import that has not reported for this long lost its worker: another run may take it over."""
    return timedelta(seconds=settings.IMPORT_STALE_AFTER_SECONDS)


State = SubjectImport.State


def earlier_import(breach_file: BreachFile, sha256: str) -> SubjectImport | None:
    """Return the first import that stored this very file into the breach file, or None."""
    return (
        SubjectImport.objects.filter(breach_file=breach_file, file_sha256=sha256, state=State.IMPORTED)
        .order_by("pk")
        .first()
    )


def live_counts(subject_import: SubjectImport) -> dict[str, Any]:
    """The counts a progress bar shows: live from the worker while it runs, from the database after."""
    counts = {
        "rows_read": subject_import.rows_read,
        "rows_validated": subject_import.rows_validated,
        "rows_stored": subject_import.rows_stored,
    }
    if subject_import.state == State.RUNNING:
        live = progress_file.read_progress(subject_import.pk)
        if live:
            counts.update(live)
    return {
        "id": subject_import.pk,
        "state": subject_import.state,
        "state_label": subject_import.get_state_display(),
        "is_finished": subject_import.is_finished,
        "rows_expected": subject_import.rows_expected,
        **counts,
        "rows_rejected": subject_import.rows_rejected,
        "duplicates": subject_import.duplicates,
        "unreachable": subject_import.unreachable,
        "errors": subject_import.errors,
        "warnings": subject_import.warnings,
        "addresses_to_review": subject_import.addresses_to_review,
        "message": subject_import.summary_text,
    }


def describe_format(subject_import: SubjectImport) -> str:
    """How the file was read, e.g. 'CSV, Windows-1252, semicolon'."""
    if subject_import.file_format == CSV:
        parts = ["CSV", ENCODING_NAMES.get(subject_import.file_encoding, subject_import.file_encoding)]
        if subject_import.delimiter:
            parts.append(str(DELIMITER_NAMES.get(subject_import.delimiter, subject_import.delimiter)))
        return ", ".join(part for part in parts if part)
    return subject_import.file_format.upper()


def stale_subject_imports(*, now: datetime | None = None) -> list[int]:
    """Ids of imports a worker should (re)take: waiting too long, or running with a silent worker."""
    now = now or timezone.now()
    ids = list(
        SubjectImport.objects.filter(
            state=State.PENDING, created_at__lt=now - timedelta(seconds=settings.IMPORT_PENDING_AFTER_SECONDS)
        ).values_list("pk", flat=True)
    )
    for subject_import in SubjectImport.objects.filter(state=State.RUNNING).only("pk", "started_at", "created_at"):
        age = progress_file.heartbeat_age(subject_import.pk)
        started = subject_import.started_at or subject_import.created_at
        limit = stale_after()
        if (age is None and now - started > limit) or (age is not None and age > limit.total_seconds()):
            ids.append(subject_import.pk)
    return ids


def waiting_uploads() -> list[tuple[int, str]]:
    """The encrypted uploads in the private storage an import still names (complete: the name is recorded after)."""
    rows = SubjectImport.objects.exclude(stored_path="").order_by("pk").values_list("pk", "stored_path")
    return [(pk, stored) for pk, stored in rows if private_storage.exists(stored)]


def same_people_elsewhere(user: User, breach_file: BreachFile, *, limit: int = 500) -> list[CrossControllerMatch]:
    """The breach file's data subjects also in another controller's file, among the files the user may both see."""
    return list(
        CrossControllerMatch.objects.visible_to(user)
        .filter(breach_file=breach_file)
        .select_related("subject", "other_breach_file__controller")
        .order_by("subject__import_batch_id", "subject__source_line", "other_breach_file__controller__code")[:limit]
    )
