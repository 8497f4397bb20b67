"""The import report (line, column, code, message) and safe CSV writing for every CSV the product writes."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from django.utils.translation import gettext as _

# Characters that make a spreadsheet read a cell as a formula (OWASP "CSV injection").
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

REPORT_HEADER = ("line", "column", "code", "message")


def csv_safe(value: object) -> str:
    """Return the cell as text a spreadsheet shows as text, never runs as a formula."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


class _Writable(Protocol):
    def write(self, text: str, /) -> Any: ...


class SafeCsvWriter:
    """A csv writer that escapes formula characters in every cell; use it for every CSV the product writes."""

    def __init__(self, stream: _Writable, **options: Any) -> None:
        options.setdefault("lineterminator", "\r\n")
        self._writer = csv.writer(stream, **options)

    def writerow(self, row: Iterable[object]) -> None:
        self._writer.writerow([csv_safe(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for row in rows:
            self.writerow(row)


def safe_csv_text(rows: Iterable[Iterable[object]], **options: Any) -> str:
    """Render rows as CSV text with every cell escaped."""
    buffer = io.StringIO()
    SafeCsvWriter(buffer, **options).writerows(rows)
    return buffer.getvalue()


@dataclass
class ReportEntry:
    """One finding of an import; the message never holds a personal value."""

    line: int
    column: str
    code: str
    message: str
    is_error: bool = True

    def as_row(self) -> tuple[object, ...]:
        message = self.message if self.is_error else _("Warning: %(message)s") % {"message": self.message}
        return (self.line or "", self.column, self.code, message)


class Report:
    """Findings of one import, counted in full and listed up to a cap so memory stays bounded."""

    def __init__(self, *, max_entries: int = 10_000) -> None:
        self.max_entries = max_entries
        self.entries: list[ReportEntry] = []
        self.error_count = 0
        self.warning_count = 0

    def add(self, line: int, column: str, code: str, message: str, *, is_error: bool = True) -> ReportEntry:
        entry = ReportEntry(line, column, code, message, is_error)
        if is_error:
            self.error_count += 1
        else:
            self.warning_count += 1
        if len(self.entries) < self.max_entries:
            self.entries.append(entry)
        return entry

    def error(self, line: int, column: str, code: str, message: str) -> ReportEntry:
        return self.add(line, column, code, message, is_error=True)

    def warning(self, line: int, column: str, code: str, message: str) -> ReportEntry:
        return self.add(line, column, code, message, is_error=False)

    @property
    def has_errors(self) -> bool:
        return self.error_count > 0

    @property
    def omitted(self) -> int:
        return self.error_count + self.warning_count - len(self.entries)

    def rows(self) -> Iterator[tuple[object, ...]]:
        yield REPORT_HEADER
        for entry in sorted(self.entries, key=lambda item: (item.line, not item.is_error)):
            yield entry.as_row()
        if self.omitted > 0:
            yield ("", "", "report_truncated", _("%(count)s more findings are not listed.") % {"count": self.omitted})

    def to_csv(self) -> str:
        return safe_csv_text(self.rows())


def report_rows(text: str) -> list[dict[str, str]]:
    """Parse a stored report back into rows (for the result page)."""
    return list(csv.DictReader(io.StringIO(text)))
