"""Streaming readers of lab files: CSV (UTF-8 with or without BOM, Windows-1252, ; or , or tab) and .xlsx."""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import IO, Any

from django.utils.translation import gettext_lazy

from breachdesk.importing.messages import Message
from breachdesk.importing.messages import deferred as _

CSV = "csv"
XLSX = "xlsx"
DELIMITERS = (";", ",", "\t")
# A header of column names is a few hundred characters; a longer first line is not one (and is never held whole).
MAX_HEADER_CHARACTERS = 16 * 1024
DELIMITER_NAMES = {";": gettext_lazy("semicolon"), ",": gettext_lazy("comma"), "\t": gettext_lazy("tab")}
ENCODING_NAMES = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 with BOM", "cp1252": "Windows-1252"}


class FileProblem(Exception):
    """The file as a whole cannot be imported; the message never holds a personal value."""

    def __init__(self, code: str, message: Message, *, line: int = 0, column: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.line = line
        self.column = column


@dataclass
class FileFacts:
    """What one pass over the bytes tells, before any parsing."""

    sha256: str
    size: int
    file_format: str
    line_count: int
    is_utf8: bool
    has_bom: bool

    @property
    def encoding(self) -> str:
        if self.has_bom:
            return "utf-8-sig"
        return "utf-8" if self.is_utf8 else "cp1252"


class FactsCollector:
    """Hash, measure and sniff the bytes chunk by chunk, as they arrive."""

    def __init__(self) -> None:
        self._hash = hashlib.sha256()
        self._size = 0
        self._newlines = 0
        self._carriage_returns = 0
        self._head = b""
        self._utf8 = codecs.getincrementaldecoder("utf-8")("strict")
        self._is_utf8 = True
        self._has_nul = False
        self._last_byte = b""

    @property
    def size(self) -> int:
        return self._size

    def feed(self, chunk: bytes) -> None:
        if not chunk:
            return
        self._hash.update(chunk)
        self._size += len(chunk)
        self._newlines += chunk.count(b"\n")
        self._carriage_returns += chunk.count(b"\r")
        if len(self._head) < 8:
            self._head = (self._head + chunk)[:8]
        if not self._has_nul and b"\x00" in chunk:
            self._has_nul = True
        if self._is_utf8:
            try:
                self._utf8.decode(chunk)
            except UnicodeDecodeError:
                self._is_utf8 = False
        self._last_byte = chunk[-1:]

    def finish(self) -> FileFacts:
        if self._is_utf8:
            try:
                self._utf8.decode(b"", final=True)
            except UnicodeDecodeError:
                self._is_utf8 = False
        head = self._head
        if self._size == 0:
            raise FileProblem("empty_file", _("The file is empty."))
        if head.startswith(b"PK\x03\x04"):
            file_format = XLSX
        elif head.startswith(b"\xd0\xcf\x11\xe0"):
            raise FileProblem(
                "xls_not_supported", _("Excel 97-2003 (.xls) files are not read: save the sheet as .xlsx or CSV.")
            )
        elif head.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise FileProblem(
                "utf16_not_supported",
                _("The file is UTF-16 ('Unicode text'): save it as 'CSV UTF-8' or 'CSV (separator: semicolon)'."),
            )
        elif self._has_nul:
            raise FileProblem(
                "not_a_text_file", _("The file holds binary data: it is neither a CSV file nor an .xlsx.")
            )
        else:
            file_format = CSV
        lines = self._newlines or self._carriage_returns
        if self._last_byte not in (b"\n", b"\r"):
            lines += 1
        return FileFacts(
            sha256=self._hash.hexdigest(),
            size=self._size,
            file_format=file_format,
            line_count=lines,
            is_utf8=self._is_utf8,
            has_bom=head.startswith(codecs.BOM_UTF8),
        )


def read_chunks(stream: IO[bytes], size: int = 1024 * 1024) -> Iterator[bytes]:
    while chunk := stream.read(size):
        yield chunk


_HEADER_SEPARATORS = re.compile(r"[\s\-]+")


def normalise_column(name: str) -> str:
    """Column names are case-insensitive; spaces and hyphens count as underscores."""
    return _HEADER_SEPARATORS.sub("_", name.replace("\ufeff", "").strip().lower())


@dataclass
class Table:
    """A header and a stream of (line number, cells) rows; blank rows are skipped."""

    header: list[str]
    rows: Iterator[tuple[int, list[str]]]
    encoding: str = ""
    delimiter: str = ""
    header_line: int = 1


def detect_delimiter(header_line: str, known_columns: Iterable[str]) -> str:
    """Pick the delimiter that splits the header into the most known column names, then the most cells."""
    known = set(known_columns)

    def score(delimiter: str) -> tuple[int, int]:
        cells = next(csv.reader([header_line], delimiter=delimiter))
        return (sum(1 for cell in cells if normalise_column(cell) in known), len(cells))

    return max(DELIMITERS, key=score)


def _decode_problem(line: int) -> FileProblem:
    return FileProblem(
        "encoding",
        _("The file is neither UTF-8 nor Windows-1252 text (an unreadable byte was met): save it as 'CSV UTF-8'."),
        line=line,
    )


def open_csv(stream: IO[bytes], facts: FileFacts, *, known_columns: Iterable[str], max_rows: int) -> Table:
    """Open a CSV stream; rows are parsed lazily, so memory stays bounded."""
    text = io.TextIOWrapper(stream, encoding=facts.encoding, errors="strict", newline="")
    header_line = 0
    first = ""
    try:
        while True:
            first = text.readline(MAX_HEADER_CHARACTERS + 1)
            header_line += 1
            if len(first) > MAX_HEADER_CHARACTERS:
                raise FileProblem(
                    "header_too_long",
                    _(
                        "The first line is longer than %(limit)s characters: it is not a header row of column "
                        "names. Is the file a CSV export, with one patient per line?"
                    )
                    % {"limit": MAX_HEADER_CHARACTERS},
                    line=header_line,
                )
            if not first or first.strip(" \t\r\n;,"):
                break
    except UnicodeDecodeError:
        raise _decode_problem(header_line) from None
    if not first.strip():
        raise FileProblem("empty_file", _("The file holds no header row and no data."))
    delimiter = detect_delimiter(first, known_columns)
    try:
        header = next(csv.reader([first], delimiter=delimiter, strict=True))
    except csv.Error:
        raise FileProblem("malformed_csv", _("The header row is not valid CSV."), line=header_line) from None
    reader = csv.reader(text, delimiter=delimiter, strict=True)

    def rows() -> Iterator[tuple[int, list[str]]]:
        count = 0
        line = header_line
        while True:
            start = header_line + reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            except UnicodeDecodeError:
                raise _decode_problem(start) from None
            except csv.Error:
                raise FileProblem(
                    "malformed_csv",
                    _("This line is not valid CSV (a quote is not closed, or text follows a closing quote)."),
                    line=start,
                ) from None
            line = start
            # A blank row is skipped; the first cell (patient_ref) settles it for almost every row.
            if not (cells and cells[0] and not cells[0].isspace()) and not "".join(cells).strip():
                continue
            count += 1
            if count > max_rows:
                raise FileProblem(
                    "too_many_rows", _("The file holds more than %(limit)s rows.") % {"limit": max_rows}, line=line
                )
            yield line, cells

    return Table(header=header, rows=rows(), encoding=facts.encoding, delimiter=delimiter, header_line=header_line)


def count_csv_rows(stream: IO[bytes], facts: FileFacts, *, known_columns: Iterable[str], limit: int) -> int:
    """Count data rows exactly (quoted line breaks make lines and rows differ), stopping past the limit."""
    table = open_csv(stream, facts, known_columns=known_columns, max_rows=limit + 1)
    count = 0
    try:
        for _row in table.rows:
            count += 1
    except FileProblem as problem:
        if problem.code != "too_many_rows":
            raise
        return limit + 1
    return count


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def open_xlsx(stream: IO[bytes], *, max_rows: int, max_bytes: int) -> tuple[Table, int | None]:
    """Open the first sheet of an .xlsx in streaming mode; return the table and the rows its dimension claims."""
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    from breachdesk.importing.xlsx_limits import check_xlsx

    check_xlsx(stream, max_bytes=max_bytes, max_rows=max_rows)
    try:
        workbook = load_workbook(stream, read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
    except (zipfile.BadZipFile, InvalidFileException, KeyError, IndexError, OSError, ValueError, TypeError):
        raise FileProblem(
            "unreadable_xlsx", _("The .xlsx file cannot be read: open and save it again in Excel.")
        ) from None
    claimed = sheet.max_row if isinstance(sheet.max_row, int) else None
    # The dimension a writer records may be wrong: read every row there is.
    sheet.reset_dimensions()
    iterator = sheet.iter_rows(values_only=True)
    header: list[str] = []
    header_line = 0
    try:
        for header_line, values in enumerate(iterator, start=1):  # noqa: B007 - used after the loop
            cells = [_cell_text(value) for value in values]
            if any(cell.strip() for cell in cells):
                header = cells
                break
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError):
        raise FileProblem(
            "unreadable_xlsx", _("The .xlsx file cannot be read: open and save it again in Excel.")
        ) from None
    if not header:
        workbook.close()
        raise FileProblem("empty_file", _("The sheet holds no header row and no data."))

    def rows() -> Iterator[tuple[int, list[str]]]:
        count = 0
        try:
            for line, values in enumerate(iterator, start=header_line + 1):
                cells = [_cell_text(value) for value in values]
                if not any(cell.strip() for cell in cells):
                    continue
                count += 1
                if count > max_rows:
                    raise FileProblem(
                        "too_many_rows", _("The file holds more than %(limit)s rows.") % {"limit": max_rows}, line=line
                    )
                yield line, cells
        except (zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError):
            raise FileProblem(
                "unreadable_xlsx", _("The .xlsx file cannot be read past this row."), line=header_line + count + 1
            ) from None
        finally:
            workbook.close()

    table = Table(header=header, rows=rows(), encoding="", delimiter="", header_line=header_line)
    return table, (claimed - header_line if claimed else None)
