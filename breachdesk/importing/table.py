"""The import's limits, and the table of rows a file opens as within them."""

from __future__ import annotations

from collections.abc import Callable
from typing import IO

from django.conf import settings

from breachdesk.importing.messages import deferred as _
from breachdesk.importing.reader import CSV, FileFacts, FileProblem, Table, count_csv_rows, open_csv, open_xlsx
from breachdesk.importing.validation import COLUMN_NAMES
from breachdesk.models import SubjectImport


def limits() -> tuple[int, int]:
    """Return the largest file an import takes, in bytes, and the most rows."""
    return int(settings.IMPORT_MAX_BYTES), int(settings.IMPORT_MAX_ROWS)


def open_table(stream: IO[bytes], facts: FileFacts, max_rows: int) -> tuple[Table, int | None]:
    """Open a CSV or .xlsx stream as a table; for an .xlsx, also return the rows its dimension claims."""
    if facts.file_format == CSV:
        table = open_csv(stream, facts, known_columns=COLUMN_NAMES, max_rows=max_rows)
        return table, None
    return open_xlsx(stream, max_rows=max_rows, max_bytes=limits()[0])


def check_row_count(
    subject_import: SubjectImport, opener: Callable[[], IO[bytes]], facts: FileFacts, claimed: int | None
) -> None:
    """Refuse a file with too many rows before parsing it (a cheap count first, an exact one when close)."""
    _max_bytes, max_rows = limits()
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
