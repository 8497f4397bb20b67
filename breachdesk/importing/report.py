"""The import report: line, column, code, message."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass

from django.utils.translation import gettext as _

from breachdesk.csvfiles import safe_csv_text

REPORT_HEADER = ("line", "column", "code", "message")


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
