"""Hostile .xlsx files are refused before openpyxl parses them, in bounded memory and time."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest

from breachdesk.importing.services import import_subjects
from breachdesk.models import DataSubject, SubjectImport
from tests.breachdesk.importing.conftest import report_of, rows, write_xlsx

pytestmark = pytest.mark.django_db
SHEET = "xl/worksheets/sheet1.xml"


def _patched(path: Path, member: str, change) -> Path:
    """Rewrite one member of an .xlsx (deflated, as Excel writes them)."""
    patched = path.with_name("hostile.xlsx")
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(patched, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            target.writestr(item.filename, change(content) if item.filename == member else content)
    return patched


def _refused(breach_file, path: Path) -> dict[str, str]:
    subject_import = import_subjects(breach_file=breach_file, path=path)
    assert subject_import.state == SubjectImport.State.REJECTED
    assert not DataSubject.objects.exists()
    [problem] = [entry for entry in report_of(subject_import) if entry["code"] != "summary"] or [{}]
    return problem


def test_openpyxl_parses_with_defusedxml():
    from openpyxl.xml import DEFUSEDXML, functions

    assert DEFUSEDXML is True
    assert functions.iterparse.__module__.startswith("defusedxml")


def test_a_zip_bomb_of_a_few_kilobytes_is_refused_from_its_declared_sizes(breach_file, tmp_path, settings):
    settings.IMPORT_MAX_BYTES = 1024 * 1024
    padding = b" " * (12 * 1024 * 1024)
    path = _patched(
        write_xlsx(tmp_path / "lab.xlsx", rows(2)),
        SHEET,
        lambda xml: xml.replace(b"<sheetData>", padding + b"<sheetData>", 1),
    )
    assert path.stat().st_size < 64 * 1024
    problem = _refused(breach_file, path)
    assert problem["code"] == "xlsx_too_large"


def test_a_cell_longer_than_excel_allows_is_refused(breach_file, tmp_path):
    # openpyxl cuts what it writes to Excel's limit: the long cell is written into the XML directly.
    long_cell = b'<row r="3"><c r="A3" t="inlineStr"><is><t>' + b"x" * 100_000 + b"</t></is></c></row>"
    path = _patched(
        write_xlsx(tmp_path / "lab.xlsx", rows(1)),
        SHEET,
        lambda xml: xml.replace(b"</sheetData>", long_cell + b"</sheetData>", 1),
    )
    problem = _refused(breach_file, path)
    assert problem["code"] == "cell_too_long"
    assert problem["line"] == "3"


def test_millions_of_empty_rows_are_refused_after_the_allowance(breach_file, tmp_path, settings):
    settings.IMPORT_MAX_ROWS = 10

    def empty_rows(xml: bytes) -> bytes:
        blank = b"".join(b'<row r="%d"/>' % number for number in range(10, 10 + 500))
        return xml.replace(b"</sheetData>", blank + b"</sheetData>", 1)

    path = _patched(write_xlsx(tmp_path / "lab.xlsx", rows(3)), SHEET, empty_rows)
    problem = _refused(breach_file, path)
    assert problem["code"] == "too_many_rows"
    assert "blank" in problem["message"] or "vides" in problem["message"]


def test_an_entity_expansion_in_the_sheet_is_refused(breach_file, tmp_path):
    laughs = b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'

    def with_entities(xml: bytes) -> bytes:
        return laughs + re.sub(rb"^<\?xml[^>]*\?>", b"", xml)

    path = _patched(write_xlsx(tmp_path / "lab.xlsx", rows(2)), SHEET, with_entities)
    assert _refused(breach_file, path)["code"] == "unreadable_xlsx"


def test_an_ordinary_xlsx_still_imports(breach_file, tmp_path):
    subject_import = import_subjects(breach_file=breach_file, path=write_xlsx(tmp_path / "lab.xlsx", rows(5)))
    assert subject_import.state == SubjectImport.State.IMPORTED, subject_import.findings
