"""Import the data subjects of a breach file: all or nothing, deduplicated through blind indexes, encrypted.

The public workflows: stage an upload, claim and process it in a worker, import a file from disk at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Protocol

from django.utils import timezone

from breachdesk import private_storage
from breachdesk.importing import progress as progress_file
from breachdesk.importing.messages import Message
from breachdesk.importing.messages import deferred as _
from breachdesk.importing.outcome import already_imported_message, finish_early, record_outcome
from breachdesk.importing.reader import CSV, FactsCollector, FileFacts, FileProblem, read_chunks
from breachdesk.importing.report import Report
from breachdesk.importing.run import Superseded, run_import
from breachdesk.importing.selectors import earlier_import, stale_after
from breachdesk.importing.storage import (
    CHUNK_SIZE,
    EncryptedWriter,
    delete_upload,
    new_upload_name,
    open_encrypted,
    rechunk,
)
from breachdesk.importing.table import limits
from breachdesk.models import BreachFile, SubjectImport, User

logger = logging.getLogger(__name__)

State = SubjectImport.State


class Upload(Protocol):
    """What Django's UploadedFile offers and the staging needs."""

    size: int | None

    def chunks(self, chunk_size: int | None = None) -> Iterator[bytes]: ...


def _megabytes(size: int) -> Message:
    if size >= 1024 * 1024:
        return _("%(size).0f MB") % {"size": size / (1024 * 1024)}
    return _("%(size)s bytes") % {"size": size}


def _too_large(size: int, limit: int) -> Message:
    return _("The file is %(size)s; the limit is %(limit)s. Split it into several files.") % {
        "size": _megabytes(size),
        "limit": _megabytes(limit),
    }


def stage_subject_import(
    *, breach_file: BreachFile, upload: Upload, user: User | None, original_name: str = "", dry_run: bool = False
) -> SubjectImport:
    """Store an uploaded file encrypted until a worker imports it; refuse it at once when it cannot be imported."""
    max_bytes, _max_rows = limits()
    subject_import = SubjectImport(
        breach_file=breach_file,
        uploaded_by=user,
        file_size=upload.size or 0,
        is_dry_run=dry_run,
    )
    subject_import.original_name = original_name
    if upload.size is not None and upload.size > max_bytes:
        report = Report()
        report.error(0, "", "file_too_large", _too_large(upload.size, max_bytes))
        finish_early(subject_import, state=State.REJECTED, message=_too_large(upload.size, max_bytes), report=report)
        record_outcome(subject_import, user=user)
        return subject_import
    collector = FactsCollector()
    writer = EncryptedWriter()
    try:
        for chunk in rechunk(upload.chunks(), CHUNK_SIZE):
            collector.feed(chunk)
            writer.write_chunk(chunk)
            if collector.size > max_bytes:
                raise FileProblem("file_too_large", _too_large(collector.size, max_bytes))
        facts = collector.finish()
    except FileProblem as problem:
        writer.discard()
        report = Report()
        report.error(problem.line, problem.column, problem.code, problem.message)
        finish_early(subject_import, state=State.REJECTED, message=problem.message, report=report)
        record_outcome(subject_import, user=user)
        return subject_import
    except BaseException:
        writer.discard()
        raise
    _describe(subject_import, facts)
    earlier = earlier_import(breach_file, facts.sha256)
    if earlier is not None and not dry_run:
        writer.discard()
        finish_early(subject_import, state=State.ALREADY_IMPORTED, message=already_imported_message(earlier))
        record_outcome(subject_import, user=user)
        return subject_import
    # A name in the private storage, never a local path: the worker that imports it may run on another machine.
    subject_import.stored_path = writer.save(new_upload_name())
    subject_import.save()
    return subject_import


def _describe(subject_import: SubjectImport, facts: FileFacts) -> None:
    subject_import.file_sha256 = facts.sha256
    subject_import.file_size = facts.size
    subject_import.file_format = facts.file_format
    if facts.file_format == CSV:
        subject_import.file_encoding = facts.encoding
        subject_import.rows_expected = max(facts.line_count - 1, 0)


def claim_subject_import(*, subject_import_id: int) -> bool:
    """Take a waiting import for this worker (or one whose worker died); False when another run has it."""
    now = timezone.now()
    if SubjectImport.objects.filter(pk=subject_import_id, state=State.PENDING).update(
        state=State.RUNNING, started_at=now
    ):
        return True
    running = SubjectImport.objects.filter(pk=subject_import_id, state=State.RUNNING).first()
    if running is None:
        return False
    age = progress_file.heartbeat_age(subject_import_id)
    started = running.started_at or running.created_at
    is_stale = now - started > stale_after() if age is None else age > stale_after().total_seconds()
    if not is_stale:
        return False
    # The transaction of a dead worker was rolled back with its connection: starting again is safe.
    return bool(
        SubjectImport.objects.filter(pk=subject_import_id, state=State.RUNNING, started_at=running.started_at).update(
            started_at=now
        )
    )


def process_subject_import(*, subject_import_id: int) -> SubjectImport:
    """Import a staged upload (run by the worker); safe to call twice."""
    if not claim_subject_import(subject_import_id=subject_import_id):
        return SubjectImport.objects.get(pk=subject_import_id)
    subject_import = SubjectImport.objects.select_related("breach_file", "uploaded_by").get(pk=subject_import_id)
    return process_claimed_import(subject_import=subject_import)


def process_claimed_import(*, subject_import: SubjectImport) -> SubjectImport:
    """Import an upload this run has claimed, then delete it; leave it alone if another run took over."""
    name = subject_import.stored_path
    try:
        if not private_storage.exists(name):
            finish_early(
                subject_import,
                state=State.FAILED,
                message=_("The uploaded file is no longer available: upload it again."),
            )
        else:
            opener: Callable[[], IO[bytes]] = lambda: open_encrypted(name)  # noqa: E731
            facts = FileFacts(
                sha256=subject_import.file_sha256,
                size=subject_import.file_size,
                file_format=subject_import.file_format,
                line_count=subject_import.rows_expected + 1,
                is_utf8=subject_import.file_encoding in ("utf-8", "utf-8-sig"),
                has_bom=subject_import.file_encoding == "utf-8-sig",
            )
            run_import(subject_import, opener=opener, facts=facts, dry_run=subject_import.is_dry_run)
    except Superseded:
        logger.info("import %s was taken over by another run", subject_import.pk)
        return SubjectImport.objects.get(pk=subject_import.pk)
    delete_upload(name)
    progress_file.clear_progress(subject_import.pk)
    SubjectImport.objects.filter(pk=subject_import.pk).update(stored_path="")
    subject_import.stored_path = ""
    return subject_import


def import_subjects(
    *, breach_file: BreachFile, path: Path, user: User | None = None, dry_run: bool = False
) -> SubjectImport:
    """Import a file from disk now, in this process (the management command)."""
    max_bytes, _max_rows = limits()
    size = path.stat().st_size
    subject_import = SubjectImport(breach_file=breach_file, uploaded_by=user, file_size=size, is_dry_run=dry_run)
    subject_import.original_name = path.name
    if size > max_bytes:
        report = Report()
        report.error(0, "", "file_too_large", _too_large(size, max_bytes))
        finish_early(subject_import, state=State.REJECTED, message=_too_large(size, max_bytes), report=report)
        record_outcome(subject_import, user=user)
        return subject_import
    try:
        with path.open("rb") as stream:
            collector = FactsCollector()
            for chunk in read_chunks(stream):
                collector.feed(chunk)
            facts = collector.finish()
    except FileProblem as problem:
        report = Report()
        report.error(problem.line, problem.column, problem.code, problem.message)
        finish_early(subject_import, state=State.REJECTED, message=problem.message, report=report)
        record_outcome(subject_import, user=user)
        return subject_import
    _describe(subject_import, facts)
    earlier = earlier_import(breach_file, facts.sha256)
    if earlier is not None and not dry_run:
        finish_early(subject_import, state=State.ALREADY_IMPORTED, message=already_imported_message(earlier))
        record_outcome(subject_import, user=user)
        return subject_import
    subject_import.state = State.RUNNING
    subject_import.started_at = timezone.now()
    subject_import.save()
    try:
        run_import(subject_import, opener=lambda: path.open("rb"), facts=facts, dry_run=dry_run)
    finally:
        progress_file.clear_progress(subject_import.pk)
    return subject_import


def purge_finished_uploads() -> int:
    """Delete uploads of imports that ended without removing them (a worker died at the wrong moment)."""
    removed = 0
    for subject_import in SubjectImport.objects.exclude(stored_path="").exclude(
        state__in=[State.PENDING, State.RUNNING]
    ):
        delete_upload(subject_import.stored_path)
        SubjectImport.objects.filter(pk=subject_import.pk).update(stored_path="")
        removed += 1
    return removed
