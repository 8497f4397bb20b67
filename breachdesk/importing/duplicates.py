"""The same person twice: twice in the file, or in the breach files of the incident's other controllers."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from typing import IO, TYPE_CHECKING

from django.db import connection

from breachdesk.importing import postgres
from breachdesk.importing.messages import Message
from breachdesk.importing.messages import deferred as _
from breachdesk.importing.reader import FileFacts, FileProblem
from breachdesk.importing.report import Report
from breachdesk.importing.table import limits, open_table
from breachdesk.importing.validation import RowValidator
from breachdesk.models import BreachFile, CrossControllerMatch, DataSubject

if TYPE_CHECKING:
    from breachdesk.importing.importer import Importer

# An index stands for itself in memory by its hash: a set of ints costs a third of a set of strings, and an HMAC's
# 64-bit hash collides no more often than its first 64 bits would. Python salts str hashes per process, so these keys
# are only ever compared within the one process that reads the file (both passes of complete_duplicate_lines).
index_key = hash

# The message of an in-file duplicate once the first line is known (a second pass finds it).
FIRST_LINE_MESSAGES: dict[str, Callable[[], Message]] = {
    "patient_ref": lambda: _("This patient_ref is already used on line %(line)s."),
    "nir": lambda: _("This NIR is already used on line %(line)s."),
    "identity": lambda: _(
        "Same last name, first name and birth date as line %(line)s: kept, not merged; "
        "check it is not the same person twice."
    ),
}


def report_same_identity_twice(importer: Importer) -> None:
    """Warn of stored subjects with the same last name, first name and birth date as an earlier line of the file.

    Kept, never merged: two patients can share them. Asked of the database once every row is stored, rather
    than tracked row by row, so the import's memory does not grow with a third set of keys.
    """
    if not importer.rows_written:
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
            [importer.breach_file.pk, importer.subject_import.pk],
        )
        rows = cursor.fetchall()
    for line, first in rows:
        importer.duplicates += 1
        importer.report.warning(
            line, "last_name", "possible_duplicate_in_file", FIRST_LINE_MESSAGES["identity"]() % {"line": first}
        )


def record_same_people_elsewhere(importer: Importer, *, heartbeat: Callable[[], None]) -> None:
    """Record each stored subject also in another breach file of the incident: the same person at two labs.

    Recorded, never told in this import's report: whether someone is another lab's data subject is that lab's
    data, so only a user who may see both breach files sees the match (CrossControllerMatch.objects.visible_to).
    A dry run stores nothing and records nothing.

    Run once every row is stored, under the incident's lock held until the commit: of two imports into the
    incident at once, the later one to get here sees the earlier one's committed subjects, so no pair is missed.
    The NIR identifies a person; name and birth date are the fallback for subjects without one.
    """
    if not importer.rows_written or importer.subject_import.is_dry_run:
        return
    breach_file = importer.breach_file
    postgres.lock_incident(breach_file.incident_id, heartbeat=heartbeat)
    others = set(
        BreachFile.objects.filter(incident_id=breach_file.incident_id)
        .exclude(pk=breach_file.pk)
        .values_list("pk", flat=True)
    )
    if not others:
        return
    matches = [
        match for match in postgres.same_people_elsewhere(breach_file, importer.subject_import.pk) if match[2] in others
    ]
    if not matches:
        return
    subjects = dict(
        DataSubject.objects.filter(
            breach_file=breach_file,
            import_batch_id=importer.subject_import.pk,
            source_line__in={line for line, _purpose, _other in matches},
        ).values_list("source_line", "pk")
    )
    CrossControllerMatch.objects.bulk_create(
        [
            CrossControllerMatch(
                subject_id=subjects[line], breach_file=breach_file, other_breach_file_id=other, basis=purpose
            )
            for line, purpose, other in matches
            if line in subjects
        ],
        ignore_conflicts=True,
    )


def complete_duplicate_lines(importer: Importer, opener: Callable[[], IO[bytes]], facts: FileFacts) -> None:
    """Name the first line of each duplicate: a second pass, run only when duplicates were found."""
    wanted = importer.in_file_duplicates
    if not wanted:
        return
    first_lines = _first_lines(wanted, opener, facts)
    for key, entries in wanted.items():
        first = first_lines.get(key)
        if first is None:
            continue
        message = FIRST_LINE_MESSAGES[key[0]]() % {"line": first}
        for entry in entries:
            entry.message = message


def _first_lines(
    wanted: Mapping[tuple[str, int], object], opener: Callable[[], IO[bytes]], facts: FileFacts
) -> dict[tuple[str, int], int]:
    """Read the file again for the line where each wanted (purpose, key) first appears."""
    first_lines: dict[tuple[str, int], int] = {}
    _max_bytes, max_rows = limits()
    with contextlib.suppress(FileProblem), opener() as stream:
        table, _claimed = open_table(stream, facts, max_rows)
        validator = RowValidator(table.header, Report(max_entries=0), header_line=table.header_line)
        for line, cells in table.rows:
            subject = validator.validate(line, cells)
            if subject is None:
                continue
            for purpose, index in (("patient_ref", subject.patient_ref_index), ("nir", subject.nir_index)):
                if index is None:
                    continue
                key = (purpose, index_key(index))
                if key in wanted and key not in first_lines:
                    first_lines[key] = line
            if len(first_lines) == len(wanted):
                break
    return first_lines
