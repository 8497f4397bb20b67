"""The row pipeline of one import: validate each row, refuse what the file or the breach file holds twice, store."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from breachdesk.importing import postgres
from breachdesk.importing import progress as progress_file
from breachdesk.importing.duplicates import index_key
from breachdesk.importing.indexes import Indexer
from breachdesk.importing.messages import deferred as _
from breachdesk.importing.report import Report, ReportEntry
from breachdesk.importing.validation import RowValidator, ValidSubject
from breachdesk.models import DataSubject, SubjectImport


@dataclass
class _Seen:
    """First sightings of blind indexes in the file, kept as 64-bit ints so memory stays small."""

    # Only what the database would refuse within a breach file (its unique constraints) is tracked row by row; the
    # same name and birth date twice is found by one query once the rows are stored, so memory holds two sets.
    patient_refs: set[int]
    nirs: set[int]


class Importer:
    """Validate, deduplicate and store the rows of one file, batch by batch, inside one transaction."""

    def __init__(self, subject_import: SubjectImport, report: Report, *, dry_run: bool) -> None:
        # Rows stored per batch (settings.IMPORT_BATCH_SIZE): progress is published after each.
        self.batch_size = int(settings.IMPORT_BATCH_SIZE)
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
        self.addresses_to_review = 0
        # The stored subjects counted per set of exposure codes: the breach file's encrypted summary adds them.
        self.exposure_sets: Counter[tuple[str, ...]] = Counter()
        self.created_at = timezone.now()
        self.use_copy = postgres.is_postgresql()
        self.indexer = Indexer()
        self.has_own_subjects = False

    def prepare(self) -> None:
        self.has_own_subjects = DataSubject.objects.filter(breach_file=self.breach_file).exists()

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
                key = index_key(subject.patient_ref_index)
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
                    key = index_key(subject.nir_index)
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
                    if subject.address_needs_review:
                        self.addresses_to_review += 1
                    self.batch.append(subject)
            if self.rows_read % self.batch_size == 0:
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
        if self.report.has_errors:
            return
        # A dry run writes too, in the transaction it rolls back: it reports what the import would, to the letter.
        self._write(batch)
        self.exposure_sets.update(subject.exposures for subject in batch)
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
            for ref_index, nir_index in postgres.existing_in_breach_file(self.breach_file, refs, own_nirs):
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
                            if subject.address_needs_review:
                                self.addresses_to_review -= 1
        return rejected

    def _write(self, batch: list[ValidSubject]) -> None:
        encrypt_json = self.indexer.encrypt_json
        breach_file_id = self.breach_file.pk
        import_id = self.subject_import.pk
        created_at = self.created_at
        if self.use_copy:
            self._copy(
                postgres.copy_text(
                    batch,
                    breach_file_id=breach_file_id,
                    import_id=import_id,
                    created_at=created_at,
                    encrypt_json=encrypt_json,
                )
            )
            return
        postgres.create_subjects(batch, breach_file_id=breach_file_id, import_id=import_id, encrypt_json=encrypt_json)

    def _copy(self, lines: Iterable[str]) -> None:
        """Write lines of COPY text inside the import's transaction."""
        postgres.copy_subjects(lines)
