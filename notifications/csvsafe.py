"""CSV cells that a spreadsheet will not run as formulas (CWE-1236)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from breachdesk.importing.report import csv_safe

# One rule for every CSV the product writes: the import's.
safe_cell = csv_safe


def csv_text(header: list[str], rows: Iterable[Iterable[object]]) -> str:
    """Write a CSV document (semicolon-separated for French spreadsheets) with every cell made safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([safe_cell(cell) for cell in header])
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return buffer.getvalue()
