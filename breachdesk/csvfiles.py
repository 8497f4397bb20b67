"""Every CSV the product writes: one escaping rule against formulas (CWE-1236), one writer, the dialects.

A CSV a person opens (the register, the dashboard, the notice ledger, the import template) is a spreadsheet file:
`;`-separated, UTF-8 with a byte-order mark, CRLF, so French Excel opens it in columns with its accents. A file a
machine reads (a print batch's manifest) has no byte-order mark.
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Iterable, Iterator
from typing import Any, Protocol

# Characters that make a spreadsheet read a cell as a formula (OWASP "CSV injection").
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


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


def csv_text(header: list[str], rows: Iterable[Iterable[object]]) -> str:
    """Write a CSV document (semicolon-separated for French spreadsheets) with every cell made safe."""
    return safe_csv_text(itertools.chain([header], rows), delimiter=";")


def csv_lines(header: list[str], rows: Iterable[Iterable[object]]) -> Iterator[str]:
    """Yield a semicolon-separated CSV document line by line (for a streamed export), every cell made safe."""
    buffer = io.StringIO()
    writer = SafeCsvWriter(buffer, delimiter=";")
    writer.writerow(header)
    yield buffer.getvalue()
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(row)
        yield buffer.getvalue()


# Without it, Excel reads UTF-8 as Windows-1252 and breaks every accent.
BYTE_ORDER_MARK = "\ufeff"


def spreadsheet_text(header: list[str], rows: Iterable[Iterable[object]]) -> str:
    """Write a CSV document a person opens in a spreadsheet: `;`, UTF-8 byte-order mark, CRLF, cells made safe."""
    return BYTE_ORDER_MARK + csv_text(header, rows)


def spreadsheet_lines(header: list[str], rows: Iterable[Iterable[object]]) -> Iterator[str]:
    """Yield a spreadsheet CSV document (as spreadsheet_text) line by line, for a streamed export."""
    yield BYTE_ORDER_MARK
    yield from csv_lines(header, rows)
