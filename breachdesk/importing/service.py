"""Import the data subjects of a breach file: all or nothing, deduplicated through blind indexes, encrypted."""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import IO, Any, Protocol

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from breachdesk.copying import copy_into
from breachdesk.importing import progress as progress_file
from breachdesk.importing.indexes import Indexer
from breachdesk.importing.reader import (
    CSV,
    DELIMITER_NAMES,
    ENCODING_NAMES,
    FactsCollector,
    FileFacts,
    FileProblem,
    Table,
    count_csv_rows,
    open_csv,
    open_xlsx,
    read_chunks,
)
from breachdesk.importing.report import Report, ReportEntry
from breachdesk.importing.storage import (
    CHUNK_SIZE,
    EncryptedWriter,
    delete_upload,
    new_upload_path,
    open_encrypted,
    rechunk,
)
from breachdesk.importing.validation import COLUMN_NAMES, RowValidator, ValidSubject
from breachdesk.models import AuditEvent, BreachFile, DataSubject, SubjectImport, User
from breachdesk.services import record_audit, record_event
from breachdesk.taxonomy import data_categories_of

logger = logging.getLogger(__name__)

BATCH_SIZE = 5000
# A running import that has not reported for this long lost its worker: another run may take it over.
STALE_AFTER = timedelta(minutes=10)
LOCK_POLL_SECONDS = 1.0
# Serialises imports into one breach file on PostgreSQL without locking the breach file row itself.
_ADVISORY_LOCK_NAMESPACE = 0x1A7F
# Serialises the last step of imports into the breach files of one incident (the look at the other labs, then the
# commit), so that of two imports running at once the later one sees the earlier one's subjects.
_INCIDENT_LOCK_NAMESPACE = 0x1A80
INCIDENT_LOCK_POLL_SECONDS = 0.05
State = SubjectImport.State


class Upload(Protocol):
    """What Django's UploadedFile offers and the staging needs."""

    size: int | None

    def chunks(self, chunk_size: int | None = None) -> Iterator[bytes]: ...


class _Rejected(Exception):
    """Raised inside the transaction to roll it back when the file breaks a rule."""


class _DryRunDone(Exception):
    """Raised inside the transaction to roll back a dry run that found nothing wrong."""


class _Superseded(Exception):
    """Raised when another run took this import over (this one was thought dead): leave everything to it."""


class _AlreadyImported(Exception):
    def __init__(self, earlier: SubjectImport) -> None:
        super().__init__("already imported")
        self.earlier = earlier


def _limits() -> tuple[int, int]:
    return int(settings.IMPORT_MAX_BYTES), int(settings.IMPORT_MAX_ROWS)


def _megabytes(size: int) -> str:
    if size >= 1024 * 1024:
        return _("%(size).0f MB") % {"size": size / (1024 * 1024)}
    return _("%(size)s bytes") % {"size": size}


def _too_large(size: int, limit: int) -> str:
    return _("The file is %(size)s; the limit is %(limit)s. Split it into several files.") % {
        "size": _megabytes(size),
        "limit": _megabytes(limit),
    }


def _earlier_import(breach_file: BreachFile, sha256: str) -> SubjectImport | None:
    return (
        SubjectImport.objects.filter(breach_file=breach_file, file_sha256=sha256, state=State.IMPORTED)
        .order_by("pk")
        .first()
    )


def _already_imported_message(earlier: SubjectImport) -> str:
    when = timezone.localtime(earlier.finished_at or earlier.created_at)
    return _(
        "This file was already imported on %(when)s (import #%(id)s, %(count)s data subjects): nothing was changed."
    ) % {"when": f"{when:%d/%m/%Y %H:%M}", "id": earlier.pk, "count": earlier.rows_stored}


def _finish_early(subject_import: SubjectImport, *, state: str, message: str, report: Report | None = None) -> None:
    subject_import.state = state
    subject_import.message = message
    subject_import.finished_at = timezone.now()
    if report is not None:
        subject_import.error_report = report.to_csv()
        subject_import.errors = report.error_count
        subject_import.warnings = report.warning_count
    subject_import.save()


def stage_subject_import(
    *, breach_file: BreachFile, upload: Upload, user: User | None, original_name: str = "", dry_run: bool = False
) -> SubjectImport:
    """Store an uploaded file encrypted until a worker imports it; refuse it at once when it cannot be imported."""
    max_bytes, _max_rows = _limits()
    subject_import = SubjectImport(
        breach_file=breach_file,
        uploaded_by=user,
        original_name=original_name[:255],
        file_size=upload.size or 0,
        is_dry_run=dry_run,
    )
    if upload.size is not None and upload.size > max_bytes:
        report = Report()
        report.error(0, "", "file_too_large", _too_large(upload.size, max_bytes))
        _finish_early(subject_import, state=State.REJECTED, message=_too_large(upload.size, max_bytes), report=report)
        _record_outcome(subject_import, user=user)
        return subject_import
    path = new_upload_path()
    collector = FactsCollector()
    writer = EncryptedWriter(path)
    try:
        for chunk in rechunk(upload.chunks(), CHUNK_SIZE):
            collector.feed(chunk)
            writer.write_chunk(chunk)
            if collector.size > max_bytes:
                raise FileProblem("file_too_large", _too_large(collector.size, max_bytes))
        writer.close()
        facts = collector.finish()
    except FileProblem as problem:
        writer.close()
        delete_upload(path)
        report = Report()
        report.error(problem.line, problem.column, problem.code, problem.message)
        _finish_early(subject_import, state=State.REJECTED, message=problem.message, report=report)
        _record_outcome(subject_import, user=user)
        return subject_import
    except BaseException:
        writer.close()
        delete_upload(path)
        raise
    _describe(subject_import, facts)
    earlier = _earlier_import(breach_file, facts.sha256)
    if earlier is not None and not dry_run:
        delete_upload(path)
        _finish_early(subject_import, state=State.ALREADY_IMPORTED, message=_already_imported_message(earlier))
        _record_outcome(subject_import, user=user)
        return subject_import
    subject_import.stored_path = str(path)
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
    is_stale = now - started > STALE_AFTER if age is None else age > STALE_AFTER.total_seconds()
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
    path = Path(subject_import.stored_path) if subject_import.stored_path else None
    try:
        if path is None or not path.exists():
            _finish_early(
                subject_import,
                state=State.FAILED,
                message=_("The uploaded file is no longer available: upload it again."),
            )
        else:
            opener: Callable[[], IO[bytes]] = lambda: open_encrypted(path)  # noqa: E731
            facts = FileFacts(
                sha256=subject_import.file_sha256,
                size=subject_import.file_size,
                file_format=subject_import.file_format,
                line_count=subject_import.rows_expected + 1,
                is_utf8=subject_import.file_encoding in ("utf-8", "utf-8-sig"),
                has_bom=subject_import.file_encoding == "utf-8-sig",
            )
            _run(subject_import, opener=opener, facts=facts, dry_run=subject_import.is_dry_run)
    except _Superseded:
        logger.info("import %s was taken over by another run", subject_import.pk)
        return SubjectImport.objects.get(pk=subject_import.pk)
    if path is not None:
        delete_upload(path)
    progress_file.clear_progress(subject_import.pk)
    SubjectImport.objects.filter(pk=subject_import.pk).update(stored_path="")
    subject_import.stored_path = ""
    return subject_import


def import_subjects(
    *, breach_file: BreachFile, path: Path, user: User | None = None, dry_run: bool = False
) -> SubjectImport:
    """Import a file from disk now, in this process (the management command)."""
    max_bytes, _max_rows = _limits()
    size = path.stat().st_size
    subject_import = SubjectImport(
        breach_file=breach_file, uploaded_by=user, original_name=path.name[:255], file_size=size, is_dry_run=dry_run
    )
    if size > max_bytes:
        report = Report()
        report.error(0, "", "file_too_large", _too_large(size, max_bytes))
        _finish_early(subject_import, state=State.REJECTED, message=_too_large(size, max_bytes), report=report)
        _record_outcome(subject_import, user=user)
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
        _finish_early(subject_import, state=State.REJECTED, message=problem.message, report=report)
        _record_outcome(subject_import, user=user)
        return subject_import
    _describe(subject_import, facts)
    earlier = _earlier_import(breach_file, facts.sha256)
    if earlier is not None and not dry_run:
        _finish_early(subject_import, state=State.ALREADY_IMPORTED, message=_already_imported_message(earlier))
        _record_outcome(subject_import, user=user)
        return subject_import
    subject_import.state = State.RUNNING
    subject_import.started_at = timezone.now()
    subject_import.save()
    try:
        _run(subject_import, opener=lambda: path.open("rb"), facts=facts, dry_run=dry_run)
    finally:
        progress_file.clear_progress(subject_import.pk)
    return subject_import


def _open_table(stream: IO[bytes], facts: FileFacts, max_rows: int) -> tuple[Table, int | None]:
    if facts.file_format == CSV:
        table = open_csv(stream, facts, known_columns=COLUMN_NAMES, max_rows=max_rows)
        return table, None
    return open_xlsx(stream, max_rows=max_rows)


def _check_row_count(
    subject_import: SubjectImport, opener: Callable[[], IO[bytes]], facts: FileFacts, claimed: int | None
) -> None:
    """Refuse a file with too many rows before parsing it (a cheap count first, an exact one when close)."""
    _max_bytes, max_rows = _limits()
    if facts.file_format == CSV:
        rough = facts.line_count - 1
        if rough <= max_rows:
            return
        # Quoted line breaks make lines outnumber rows: count rows exactly before refusing.
        with opener() as stream:
            exact = count_csv_rows(stream, facts, known_columns=COLUMN_NAMES, limit=max_rows)
        subject_import.rows_expected = min(exact, max_rows + 1)
        if exact <= max_rows:
            return
    elif claimed is None or claimed <= max_rows:
        return
    raise FileProblem(
        "too_many_rows", _("The file holds more than %(limit)s rows, the limit: split it.") % {"limit": max_rows}
    )


@lru_cache(maxsize=512)
def _exposures_json(exposures: tuple[str, ...]) -> str:
    return json.dumps(list(exposures))


# An index stands for itself in memory by its hash: a set of ints costs a third of a set of strings, and an HMAC's
# 64-bit hash collides no more often than its first 64 bits would. Python salts str hashes per process, so these keys
# are only ever compared within the one process that reads the file (both passes of _complete_duplicate_lines).
_key = hash


# The columns of the COPY text _Importer._write builds, in its order.
_COPY_FIELDS = (
    "breach_file",
    "personal_token",
    "patient_ref_index",
    "nir_index",
    "email_index",
    "identity_index",
    "country",
    "language",
    "exposures",
    "has_postal_address",
    "has_email",
    "source_line",
    "import_batch",
    "created_at",
)


def _hex_array(indexes: list[str]) -> str:
    """A PostgreSQL array literal of blind indexes: one string to send, not thousands of values to adapt one by one.

    ASCII letters and digits need no quoting in an array literal; anything else is refused rather than quoted.
    """
    literal = ",".join(indexes)
    if not (literal.isascii() and (not literal or literal.replace(",", "").isalnum())):
        raise ValueError("a blind index is not hexadecimal")
    return "{" + literal + "}"


@dataclass
class _Seen:
    """First sightings of blind indexes in the file, kept as 64-bit ints so memory stays small."""

    # Only what the database would refuse within a breach file (its unique constraints) is tracked row by row; the
    # same name and birth date twice is found by one query once the rows are stored, so memory holds two sets.
    patient_refs: set[int]
    nirs: set[int]


class _Importer:
    """Validate, deduplicate and store the rows of one file, batch by batch, inside one transaction."""

    def __init__(self, subject_import: SubjectImport, report: Report, *, dry_run: bool) -> None:
        self.subject_import = subject_import
        self.breach_file = subject_import.breach_file
        self.report = report
        self.dry_run = dry_run
        self.batch: list[ValidSubject] = []
        self.seen = _Seen(set(), set())
        # Entries to complete with the line of the first occurrence, keyed by (purpose, key).
        self.in_file_duplicates: dict[tuple[str, int], list[ReportEntry]] = {}
        self.rows_read = 0
        self.rows_validated = 0
        self.rows_stored = 0
        # Rows written in the transaction: rows_stored, or what a dry run wrote before rolling back.
        self.rows_written = 0
        self.rows_rejected = 0
        self.duplicates = 0
        self.unreachable = 0
        self.exposure_codes: set[str] = set()
        self.created_at = timezone.now()
        self.use_copy = connection.vendor == "postgresql"
        self.indexer = Indexer()
        self.has_own_subjects = False

    def prepare(self) -> None:
        self.has_own_subjects = DataSubject.objects.filter(breach_file=self.breach_file).exists()

    def _existing_in_breach_file(self, refs: list[str], nirs: list[str]) -> Iterable[tuple[str, str | None]]:
        if self.use_copy:
            # Arrays, not thousands of placeholders: PostgreSQL probes the unique indexes directly.
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT patient_ref_index, nir_index FROM {DataSubject._meta.db_table} "  # noqa: S608 - values bound
                    "WHERE breach_file_id = %s AND (patient_ref_index = ANY(%s::text[]) OR nir_index = ANY(%s::text[]))",
                    [self.breach_file.pk, _hex_array(refs), _hex_array(nirs)],
                )
                return cursor.fetchall()
        return (
            DataSubject.objects.filter(breach_file=self.breach_file)
            .filter(Q(patient_ref_index__in=refs) | Q(nir_index__in=nirs))
            .values_list("patient_ref_index", "nir_index")
        )

    def publish(self) -> None:
        progress_file.write_progress(
            self.subject_import.pk,
            rows_read=self.rows_read,
            rows_validated=self.rows_validated,
            rows_stored=self.rows_stored,
        )

    def _in_file_duplicate(self, purpose: str, key: int, entry: ReportEntry) -> None:
        self.in_file_duplicates.setdefault((purpose, key), []).append(entry)

    def consume(self, rows: Iterable[tuple[int, list[str]]], validator: RowValidator) -> None:
        report = self.report
        seen = self.seen
        for line, cells in rows:
            self.rows_read += 1
            subject = validator.validate(line, cells)
            if subject is None:
                self.rows_rejected += 1
            else:
                is_duplicate = False
                key = _key(subject.patient_ref_index)
                if key in seen.patient_refs:
                    entry = report.error(
                        line,
                        "patient_ref",
                        "duplicate_in_file",
                        _("This patient_ref is already used on an earlier line."),
                    )
                    self._in_file_duplicate("patient_ref", key, entry)
                    is_duplicate = True
                else:
                    seen.patient_refs.add(key)
                if subject.nir_index is not None:
                    key = _key(subject.nir_index)
                    if key in seen.nirs:
                        entry = report.error(
                            line, "nir", "duplicate_in_file", _("This NIR is already used on an earlier line.")
                        )
                        self._in_file_duplicate("nir", key, entry)
                        is_duplicate = True
                    else:
                        seen.nirs.add(key)
                if is_duplicate:
                    self.duplicates += 1
                    self.rows_rejected += 1
                else:
                    self.rows_validated += 1
                    if not subject.is_reachable:
                        self.unreachable += 1
                    self.batch.append(subject)
            if self.rows_read % BATCH_SIZE == 0:
                self.flush()
                self.publish()
        self.flush()
        self.publish()

    def flush(self) -> None:
        batch = self.batch
        if not batch:
            return
        self.batch = []
        rejected = self._check_against_database(batch)
        if rejected:
            batch = [subject for subject in batch if subject.line not in rejected]
        for subject in batch:
            self.exposure_codes.update(subject.exposures)
        if self.report.has_errors:
            return
        # A dry run writes too, in the transaction it rolls back: it reports what the import would, to the letter.
        self._write(batch)
        self.rows_written += len(batch)
        if not self.dry_run:
            self.rows_stored += len(batch)

    def _check_against_database(self, batch: list[ValidSubject]) -> set[int]:
        """Report rows already in this breach file (errors)."""
        rejected: set[int] = set()
        report = self.report
        if self.has_own_subjects:
            refs = [subject.patient_ref_index for subject in batch]
            own_nirs = [subject.nir_index for subject in batch if subject.nir_index]
            existing = set()
            for ref_index, nir_index in self._existing_in_breach_file(refs, own_nirs):
                existing.add(("patient_ref", ref_index))
                if nir_index:
                    existing.add(("nir", nir_index))
            for subject in batch:
                for column, index in (("patient_ref", subject.patient_ref_index), ("nir", subject.nir_index)):
                    if index and (column, index) in existing:
                        report.error(
                            subject.line,
                            column,
                            "already_in_breach_file",
                            _(
                                "A data subject with this %(column)s is already in this breach file "
                                "(an earlier import): remove the row or correct it."
                            )
                            % {"column": column},
                        )
                        if subject.line not in rejected:
                            rejected.add(subject.line)
                            self.duplicates += 1
                            self.rows_rejected += 1
                            self.rows_validated -= 1
                            if not subject.is_reachable:
                                self.unreachable -= 1
        return rejected

    def report_same_identity_twice(self) -> None:
        """Warn of stored subjects with the same last name, first name and birth date as an earlier line of the file.

        Kept, never merged: two patients can share them. Asked of the database once every row is stored, rather
        than tracked row by row, so the import's memory does not grow with a third set of keys.
        """
        if not self.rows_written:
            return
        table = DataSubject._meta.db_table
        # One pass over this import's rows, sorted by identity: each row with the first line of its identity (a join
        # or IN of these rows with themselves lets a planner without statistics on them go quadratic).
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT source_line, first_line FROM ("  # noqa: S608
                "SELECT source_line, MIN(source_line) OVER (PARTITION BY identity_index) AS first_line "
                f"FROM {table} WHERE breach_file_id = %s AND import_batch_id = %s AND identity_index IS NOT NULL"
                ") AS identities WHERE source_line > first_line ORDER BY source_line",
                [self.breach_file.pk, self.subject_import.pk],
            )
            rows = cursor.fetchall()
        for line, first in rows:
            self.duplicates += 1
            self.report.warning(
                line, "last_name", "possible_duplicate_in_file", _FIRST_LINE_MESSAGES["identity"]() % {"line": first}
            )

    def report_same_people_elsewhere(self, *, heartbeat: Callable[[], None]) -> None:
        """Warn of each stored subject also in another breach file of the incident: the same person at two labs.

        Run once every row is stored, under the incident's lock held until the commit: of two imports into the
        incident at once, the later one to get here sees the earlier one's committed subjects, so no pair is missed.
        The NIR identifies a person; name and birth date are the fallback for subjects without one.
        """
        if not self.rows_written:
            return
        breach_file = self.breach_file
        _advisory_xact_lock(
            _INCIDENT_LOCK_NAMESPACE, breach_file.incident_id, heartbeat=heartbeat, poll=INCIDENT_LOCK_POLL_SECONDS
        )
        codes = dict(
            BreachFile.objects.filter(incident_id=breach_file.incident_id)
            .exclude(pk=breach_file.pk)
            .values_list("pk", "controller__code")
        )
        if not codes:
            return
        table = DataSubject._meta.db_table
        # The rows this import stored first (MATERIALIZED keeps PostgreSQL from starting at the other labs' rows,
        # which it would for lack of statistics on a table filled in this transaction), then one probe of the NIR
        # (or identity) index each; rows of another incident's breach files are left out below.
        materialized = "MATERIALIZED " if connection.vendor == "postgresql" else ""
        with connection.cursor() as cursor:
            cursor.execute(
                f"WITH mine AS {materialized}(SELECT source_line, nir_index, identity_index "  # noqa: S608
                f"FROM {table} WHERE breach_file_id = %s AND import_batch_id = %s) "
                f"SELECT mine.source_line, 'nir', other.breach_file_id FROM mine "
                f"JOIN {table} other ON other.nir_index = mine.nir_index WHERE other.breach_file_id <> %s "
                "UNION ALL "
                f"SELECT mine.source_line, 'identity', other.breach_file_id FROM mine "
                f"JOIN {table} other ON other.identity_index = mine.identity_index "
                "WHERE mine.nir_index IS NULL AND other.breach_file_id <> %s",
                [breach_file.pk, self.subject_import.pk, breach_file.pk, breach_file.pk],
            )
            matches = cursor.fetchall()
        by_line: dict[int, tuple[str, set[str]]] = {}
        for line, purpose, other_id in matches:
            if other_id in codes:
                by_line.setdefault(line, (purpose, set()))[1].add(codes[other_id])
        for line, (purpose, controllers) in sorted(by_line.items()):
            self.duplicates += 1
            if purpose == "nir":
                self.report.warning(
                    line,
                    "nir",
                    "same_person_other_controller",
                    _(
                        "The same NIR is in the breach file of %(controllers)s for this incident: "
                        "reported, not merged (each controller informs its own data subjects)."
                    )
                    % {"controllers": ", ".join(sorted(controllers))},
                )
            else:
                self.report.warning(
                    line,
                    "last_name",
                    "possibly_same_person_other_controller",
                    _(
                        "The same last name, first name and birth date are in the breach file of "
                        "%(controllers)s for this incident: reported, not merged."
                    )
                    % {"controllers": ", ".join(sorted(controllers))},
                )

    def _write(self, batch: list[ValidSubject]) -> None:
        encrypt_json = self.indexer.encrypt_json
        breach_file_id = self.breach_file.pk
        import_id = self.subject_import.pk
        created_at = self.created_at
        if self.use_copy:
            # COPY's text format, built directly: every value here is made by the import (base64 tokens, hex
            # indexes, validated codes, booleans, ids, a timestamp), so none holds a tab, newline or backslash.
            fixed = f"\t{import_id}\t{created_at.isoformat()}\n"
            prefix = f"{breach_file_id}\t"
            self._copy(
                prefix
                + "\t".join(
                    (
                        encrypt_json(subject.personal),
                        subject.patient_ref_index,
                        subject.nir_index or "\\N",
                        subject.email_index or "\\N",
                        subject.identity_index or "\\N",
                        subject.country,
                        subject.language,
                        _exposures_json(subject.exposures),
                        "t" if subject.has_postal_address else "f",
                        "t" if subject.has_email else "f",
                        str(subject.line),
                    )
                )
                + fixed
                for subject in batch
            )
            return
        DataSubject.objects.bulk_create(
            [
                DataSubject(
                    breach_file_id=breach_file_id,
                    personal_token=encrypt_json(subject.personal),
                    patient_ref_index=subject.patient_ref_index,
                    nir_index=subject.nir_index,
                    email_index=subject.email_index,
                    identity_index=subject.identity_index,
                    country=subject.country,
                    language=subject.language,
                    exposures=list(subject.exposures),
                    has_postal_address=subject.has_postal_address,
                    has_email=subject.has_email,
                    source_line=subject.line,
                    import_batch_id=import_id,
                )
                for subject in batch
            ],
            batch_size=500,
        )

    def _copy(self, lines: Iterable[str]) -> None:
        """Write lines of COPY text (columns in _COPY_FIELDS' order) inside the import's transaction."""
        with copy_into(DataSubject, _COPY_FIELDS) as copy:
            pending: list[str] = []
            for line in lines:
                pending.append(line)
                if len(pending) == 500:
                    copy.write("".join(pending))
                    pending = []
            if pending:
                copy.write("".join(pending))


def _lock_breach_file(breach_file: BreachFile, *, heartbeat: Callable[[], None]) -> None:
    """Serialise imports into one breach file for the rest of the transaction, beating while it waits."""
    _advisory_xact_lock(_ADVISORY_LOCK_NAMESPACE, breach_file.pk, heartbeat=heartbeat, poll=LOCK_POLL_SECONDS)


def _advisory_xact_lock(namespace: int, key: int, *, heartbeat: Callable[[], None], poll: float) -> None:
    """Take a PostgreSQL advisory lock until the transaction ends, beating while it waits (SQLite: one writer)."""
    if connection.vendor != "postgresql":
        return
    beaten: float | None = None
    with connection.cursor() as cursor:
        while True:
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", [namespace, key])
            row = cursor.fetchone()
            if row and row[0]:
                return
            # Another import holds it: show this one is alive, so no sweep takes it over.
            now = time.monotonic()
            if beaten is None or now - beaten >= LOCK_POLL_SECONDS:
                heartbeat()
                beaten = now
            time.sleep(poll)


def _update_breach_file_counts(breach_file: BreachFile) -> BreachFile:
    """Art. 33(3)(a): approximate numbers of persons and records and the data categories, from the subjects."""
    subjects = DataSubject.objects.filter(breach_file=breach_file)
    records = subjects.count()
    # Rows of one breach file share no patient_ref nor NIR; the same name and birth date count as one person.
    persons = subjects.values(person=Coalesce("identity_index", "patient_ref_index")).distinct().count()
    codes: set[str] = set()
    for exposures in subjects.order_by().values_list("exposures", flat=True).distinct():
        codes.update(exposures)
    categories = data_categories_of(codes)
    BreachFile.objects.filter(pk=breach_file.pk).update(
        approximate_persons=persons, approximate_records=records, data_categories=categories, updated_at=timezone.now()
    )
    breach_file.approximate_persons = persons
    breach_file.approximate_records = records
    breach_file.data_categories = categories
    return breach_file


def _complete_duplicate_lines(importer: _Importer, opener: Callable[[], IO[bytes]], facts: FileFacts) -> None:
    """Name the first line of each duplicate: a second pass, run only when duplicates were found."""
    wanted = importer.in_file_duplicates
    if not wanted:
        return
    first_lines: dict[tuple[str, int], int] = {}
    _max_bytes, max_rows = _limits()
    with contextlib.suppress(FileProblem), opener() as stream:
        table, _claimed = _open_table(stream, facts, max_rows)
        validator = RowValidator(table.header, Report(max_entries=0), header_line=table.header_line)
        for line, cells in table.rows:
            subject = validator.validate(line, cells)
            if subject is None:
                continue
            for purpose, index in (("patient_ref", subject.patient_ref_index), ("nir", subject.nir_index)):
                if index is None:
                    continue
                key = (purpose, _key(index))
                if key in wanted and key not in first_lines:
                    first_lines[key] = line
            if len(first_lines) == len(wanted):
                break
    for key, entries in wanted.items():
        first = first_lines.get(key)
        if first is None:
            continue
        message = _FIRST_LINE_MESSAGES[key[0]]() % {"line": first}
        for entry in entries:
            entry.message = message


# The message of an in-file duplicate once the first line is known (a second pass finds it).
_FIRST_LINE_MESSAGES: dict[str, Callable[[], str]] = {
    "patient_ref": lambda: _("This patient_ref is already used on line %(line)s."),
    "nir": lambda: _("This NIR is already used on line %(line)s."),
    "identity": lambda: _(
        "Same last name, first name and birth date as line %(line)s: kept, not merged; "
        "check it is not the same person twice."
    ),
}


def _summary(subject_import: SubjectImport) -> str:
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
    if subject_import.unreachable:
        parts.append(
            _("%(count)s can be reached neither by post nor by email.") % {"count": subject_import.unreachable}
        )
    if subject_import.duplicates:
        parts.append(_("%(count)s duplicates or possible duplicates reported.") % {"count": subject_import.duplicates})
    return " ".join(str(part) for part in parts)


def _record_outcome(subject_import: SubjectImport, *, user: User | None) -> None:
    """Timeline and audit trail of an import that ended: ids and counts only."""
    breach_file = subject_import.breach_file
    if subject_import.state == State.IMPORTED:
        record_event(
            breach_file=breach_file,
            kind="subjects_imported",
            actor=user,
            summary=_(
                "Import #%(id)s: %(count)s data subjects imported (%(unreachable)s unreachable, "
                "%(duplicates)s duplicates reported)."
            )
            % {
                "id": subject_import.pk,
                "count": subject_import.rows_stored,
                "unreachable": subject_import.unreachable,
                "duplicates": subject_import.duplicates,
            },
        )
    elif subject_import.state == State.REJECTED and not subject_import.is_dry_run:
        record_event(
            breach_file=breach_file,
            kind="subjects_import_rejected",
            actor=user,
            summary=_("Import #%(id)s rejected: %(errors)s errors, nothing stored.")
            % {"id": subject_import.pk, "errors": subject_import.errors},
        )
    record_audit(
        user=user,
        action=AuditEvent.Action.IMPORT,
        object_type="subject_import",
        object_id=subject_import.pk,
        organisation_id=breach_file.controller_id,
        detail=f"{subject_import.state} read={subject_import.rows_read} stored={subject_import.rows_stored}"
        f"{' dry-run' if subject_import.is_dry_run else ''}",
    )


def _run(
    subject_import: SubjectImport, *, opener: Callable[[], IO[bytes]], facts: FileFacts, dry_run: bool
) -> SubjectImport:
    """Read, validate and store one file in one transaction; record the outcome whatever it is."""
    _max_bytes, max_rows = _limits()
    report = Report()
    importer = _Importer(subject_import, report, dry_run=dry_run)
    user = subject_import.uploaded_by
    try:
        with opener() as stream:
            table, claimed = _open_table(stream, facts, max_rows)
            subject_import.delimiter = table.delimiter
            if claimed is not None:
                subject_import.rows_expected = max(claimed, 0)
            _check_row_count(subject_import, opener, facts, claimed)
            SubjectImport.objects.filter(pk=subject_import.pk).update(
                rows_expected=subject_import.rows_expected, delimiter=subject_import.delimiter
            )
            validator = RowValidator(table.header, report, header_line=table.header_line)
            if not validator.is_usable:
                raise _Rejected
            importer.publish()
            with transaction.atomic():
                _lock_breach_file(subject_import.breach_file, heartbeat=importer.publish)
                if not SubjectImport.objects.filter(
                    pk=subject_import.pk, state=State.RUNNING, started_at=subject_import.started_at
                ).exists():
                    raise _Superseded
                if not dry_run:
                    earlier = _earlier_import(subject_import.breach_file, subject_import.file_sha256)
                    if earlier is not None:
                        raise _AlreadyImported(earlier)
                importer.prepare()
                importer.consume(table.rows, validator)
                if not importer.rows_read:
                    report.error(0, "", "no_rows", _("The file holds a header row but no data subject."))
                if report.has_errors:
                    raise _Rejected
                importer.report_same_identity_twice()
                importer.report_same_people_elsewhere(heartbeat=importer.publish)
                if dry_run:
                    raise _DryRunDone
                _save_counts(subject_import, importer, report)
                subject_import.state = State.IMPORTED
                subject_import.finished_at = timezone.now()
                subject_import.message = _summary(subject_import)
                if subject_import.breach_file.counts_override_reason.strip():
                    subject_import.message += " " + _("The breach file's counts were kept: they are overridden.")
                else:
                    _update_breach_file_counts(subject_import.breach_file)
                subject_import.save()
                _record_outcome(subject_import, user=user)
    except _AlreadyImported as already:
        _finish_early(subject_import, state=State.ALREADY_IMPORTED, message=_already_imported_message(already.earlier))
        _record_outcome(subject_import, user=user)
    except _DryRunDone:
        _save_counts(subject_import, importer, report)
        subject_import.state = State.VALID
        subject_import.finished_at = timezone.now()
        subject_import.message = _summary(subject_import)
        subject_import.save()
        _record_outcome(subject_import, user=user)
    except (_Rejected, FileProblem, IntegrityError) as reason:
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
        _complete_duplicate_lines(importer, opener, facts)
        _save_counts(subject_import, importer, report)
        subject_import.rows_stored = 0
        subject_import.state = State.REJECTED
        subject_import.finished_at = timezone.now()
        subject_import.message = (
            reason.message if isinstance(reason, FileProblem) and not importer.rows_read else _summary(subject_import)
        )
        subject_import.save()
        _record_outcome(subject_import, user=user)
    except _Superseded:
        raise
    except Exception as error:
        # The exception's text may quote a value of the file: log its type only.
        logger.error("import %s failed unexpectedly (%s)", subject_import.pk, type(error).__name__)
        subject_import.state = State.FAILED
        subject_import.finished_at = timezone.now()
        subject_import.rows_stored = 0
        subject_import.message = _(
            "An unexpected error stopped the import; nothing was stored. Try again or ask support."
        )
        subject_import.save()
        _record_outcome(subject_import, user=user)
    return subject_import


def _save_counts(subject_import: SubjectImport, importer: _Importer, report: Report) -> None:
    subject_import.rows_read = importer.rows_read
    subject_import.rows_validated = importer.rows_validated
    subject_import.rows_stored = importer.rows_stored
    subject_import.rows_rejected = importer.rows_rejected
    subject_import.duplicates = importer.duplicates
    subject_import.unreachable = importer.unreachable
    subject_import.errors = report.error_count
    subject_import.warnings = report.warning_count
    subject_import.error_report = report.to_csv() if report.entries or report.omitted else ""


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
        "message": subject_import.message,
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
        SubjectImport.objects.filter(state=State.PENDING, created_at__lt=now - timedelta(minutes=2)).values_list(
            "pk", flat=True
        )
    )
    for subject_import in SubjectImport.objects.filter(state=State.RUNNING).only("pk", "started_at", "created_at"):
        age = progress_file.heartbeat_age(subject_import.pk)
        started = subject_import.started_at or subject_import.created_at
        if (age is None and now - started > STALE_AFTER) or (age is not None and age > STALE_AFTER.total_seconds()):
            ids.append(subject_import.pk)
    return ids


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
