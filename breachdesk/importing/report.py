"""The import report: line, column, code and message, stored as codes and told in the reader's language."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext, pgettext_lazy

from breachdesk.csvfiles import spreadsheet_text
from breachdesk.importing.messages import Message, render
from breachdesk.importing.messages import deferred as _

if TYPE_CHECKING:
    from breachdesk.models import SubjectImport

# The columns of the report, in the reader's language when exported.
REPORT_HEADER = (
    pgettext_lazy("import report column", "line"),
    pgettext_lazy("import report column", "column"),
    pgettext_lazy("import report column", "code"),
    pgettext_lazy("import report column", "message"),
)


@dataclass
class ReportEntry:
    """One finding of an import; the message never holds a personal value."""

    line: int
    column: str
    code: str
    message: Message
    is_error: bool = True

    def to_json(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "column": self.column,
            "code": self.code,
            "message": self.message.to_json(),
            "is_error": self.is_error,
        }


class Report:
    """Findings of one import, counted in full and listed up to a cap so memory stays bounded."""

    def __init__(self, *, max_entries: int = 10_000) -> None:
        self.max_entries = max_entries
        self.entries: list[ReportEntry] = []
        self.error_count = 0
        self.warning_count = 0

    def add(self, line: int, column: str, code: str, message: Message, *, is_error: bool = True) -> ReportEntry:
        entry = ReportEntry(line, column, code, message, is_error)
        if is_error:
            self.error_count += 1
        else:
            self.warning_count += 1
        if len(self.entries) < self.max_entries:
            self.entries.append(entry)
        return entry

    def error(self, line: int, column: str, code: str, message: Message) -> ReportEntry:
        return self.add(line, column, code, message, is_error=True)

    def warning(self, line: int, column: str, code: str, message: Message) -> ReportEntry:
        return self.add(line, column, code, message, is_error=False)

    @property
    def has_errors(self) -> bool:
        return self.error_count > 0

    @property
    def omitted(self) -> int:
        return self.error_count + self.warning_count - len(self.entries)

    def to_json(self) -> list[dict[str, Any]]:
        """The findings as stored: errors before warnings on each line, codes and parameters only."""
        return [entry.to_json() for entry in sorted(self.entries, key=lambda item: (item.line, not item.is_error))]


def has_report(subject_import: SubjectImport) -> bool:
    """Tell whether the import has findings to show or download."""
    return bool(subject_import.findings or subject_import.error_report)


def report_entries(subject_import: SubjectImport) -> list[dict[str, Any]]:
    """The findings of an import, told in the active language (a report stored as sentences is read as it was)."""
    if not subject_import.findings:
        # Imports before codes stored their report as a comma-separated CSV of sentences.
        legacy = csv.DictReader(io.StringIO(subject_import.error_report)) if subject_import.error_report else []
        return [{**row, "is_error": True} for row in legacy]
    entries: list[dict[str, Any]] = [
        {
            "line": finding["line"] or "",
            "column": finding["column"],
            "code": finding["code"],
            "message": render(finding["message"]),
            "is_error": finding["is_error"],
        }
        for finding in subject_import.findings
    ]
    omitted = subject_import.errors + subject_import.warnings - len(entries)
    if omitted > 0:
        entries.append(
            {
                "line": "",
                "column": "",
                "code": "report_truncated",
                "message": str(_("%(count)s more findings are not listed.") % {"count": omitted}),
                "is_error": False,
            }
        )
    return entries


def _csv_rows(subject_import: SubjectImport) -> Iterator[tuple[object, ...]]:
    for entry in report_entries(subject_import):
        message = entry["message"]
        if not entry["is_error"] and entry["code"] != "report_truncated":
            message = gettext("Warning: %(message)s") % {"message": message}
        yield (entry["line"], entry["column"], entry["code"], message)


def report_csv(subject_import: SubjectImport) -> bytes:
    """The report as a CSV file in the reader's language, in the dialect Excel opens in columns."""
    header = [str(name) for name in REPORT_HEADER]
    return spreadsheet_text(header, _csv_rows(subject_import)).encode("utf-8")
