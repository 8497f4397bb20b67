"""Bounds an .xlsx must respect before openpyxl parses it: what its zip archive expands to, cell sizes, row counts.

An .xlsx is a zip of XML: a few hundred kilobytes can declare gigabytes, one cell can hold hundreds of megabytes (which
openpyxl builds in memory whole) and a sheet can list millions of empty rows. The archive's declared sizes are read
from its directory first (zipfile never inflates a member past its declared size: the CRC check fails), then the
first sheet and the shared strings are scanned with expat, in chunks, before openpyxl reads a byte.
"""

from __future__ import annotations

import posixpath
import zipfile
from typing import IO
from xml.etree.ElementTree import ParseError
from xml.parsers import expat

from defusedxml.ElementTree import fromstring

from breachdesk.importing.messages import deferred as _
from breachdesk.importing.reader import FileProblem

# An XML sheet expands about five to ten times when unzipped: the whole archive may expand to ten times the upload
# limit, the shared strings (which openpyxl holds in memory) to the upload limit itself.
EXPANSION = 10
# Excel's own limit of characters in a cell.
MAX_CELL_CHARACTERS = 32_767
# Blank rows (formatted but empty) are tolerated up to as many as the rows allowed.
BLANK_ROWS_PER_ROW = 1
_SHARED_STRINGS = "xl/sharedStrings.xml"
_SCAN_CHUNK = 1024 * 1024
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE_RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"


def _unreadable() -> FileProblem:
    return FileProblem("unreadable_xlsx", _("The .xlsx file cannot be read: open and save it again in Excel."))


def _too_large() -> FileProblem:
    return FileProblem(
        "xlsx_too_large",
        _("The .xlsx file expands to more than its size allows once unzipped: save it again in Excel, or as CSV."),
    )


def check_xlsx(stream: IO[bytes], *, max_bytes: int, max_rows: int) -> None:
    """Refuse an .xlsx whose archive, cells or rows exceed the bounds derived from the import limits."""
    try:
        archive = zipfile.ZipFile(stream)
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise _unreadable() from None
    member_limit = max_bytes * EXPANSION
    if sum(member.file_size for member in members) > member_limit:
        raise _too_large()
    sizes = {member.filename: member.file_size for member in members}
    if sizes.get(_SHARED_STRINGS, 0) > max_bytes:
        raise _too_large()
    sheet = _first_sheet(archive, sizes)
    try:
        if _SHARED_STRINGS in sizes:
            _scan(archive, _SHARED_STRINGS, max_rows=None)
        _scan(archive, sheet, max_rows=max_rows * (1 + BLANK_ROWS_PER_ROW) + 1)
    except (zipfile.BadZipFile, OSError, ValueError, KeyError):
        raise _unreadable() from None
    stream.seek(0)


def _first_sheet(archive: zipfile.ZipFile, sizes: dict[str, int]) -> str:
    """The member holding the first sheet, as the workbook and its relationships name it."""
    small = 1024 * 1024
    names = ("xl/workbook.xml", "xl/_rels/workbook.xml.rels")
    if any(name not in sizes for name in names):
        raise _unreadable()
    if any(sizes[name] > small for name in names):
        raise _too_large()
    try:
        workbook = fromstring(archive.read(names[0]))
        relationships = fromstring(archive.read(names[1]))
    except (ParseError, ValueError):  # defusedxml's refusals of entities and DTDs are ValueErrors
        raise _unreadable() from None
    sheet = workbook.find(f"{{{_MAIN}}}sheets/{{{_MAIN}}}sheet")
    if sheet is None:
        raise _unreadable()
    target_id = sheet.get(f"{{{_RELATIONSHIPS}}}id")
    for relationship in relationships.iter(f"{{{_PACKAGE_RELATIONSHIPS}}}Relationship"):
        if relationship.get("Id") == target_id:
            target = relationship.get("Target", "")
            name = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
            if name in sizes:
                return name
    raise _unreadable()


def _scan(archive: zipfile.ZipFile, member: str, *, max_rows: int | None) -> None:
    """Read one member's XML in chunks: refuse a DTD, a text run longer than a cell may be, or too many rows."""
    parser = expat.ParserCreate()
    text = 0
    rows = 0

    def refuse_dtd(*_args: object) -> None:
        raise _unreadable()

    def start(name: str, _attributes: dict[str, str]) -> None:
        nonlocal text, rows
        text = 0
        if max_rows is not None and (name == "row" or name.endswith(":row")):
            rows += 1
            if rows > max_rows:
                raise FileProblem(
                    "too_many_rows",
                    _(
                        "The sheet holds more than %(limit)s rows, blank ones included: delete the empty rows at its end."
                    )
                    % {"limit": max_rows},
                )

    def characters(data: str) -> None:
        nonlocal text
        text += len(data)
        if text > MAX_CELL_CHARACTERS:
            raise FileProblem(
                "cell_too_long",
                _("A cell holds more than %(limit)s characters, more than Excel allows.")
                % {"limit": MAX_CELL_CHARACTERS},
                line=rows,
            )

    parser.StartDoctypeDeclHandler = refuse_dtd
    parser.EntityDeclHandler = refuse_dtd
    parser.StartElementHandler = start
    parser.CharacterDataHandler = characters
    with archive.open(member) as handle:
        while chunk := handle.read(_SCAN_CHUNK):
            try:
                parser.Parse(chunk, False)
            except expat.ExpatError:
                raise _unreadable() from None
        try:
            parser.Parse(b"", True)
        except expat.ExpatError:
            raise _unreadable() from None
