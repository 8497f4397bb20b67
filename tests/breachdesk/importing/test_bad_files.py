"""The catalogue of bad files: each one gives the documented outcome (docs/import-format.md)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from breachdesk.importing.report import report_csv
from breachdesk.importing.services import import_subjects
from breachdesk.models import DataSubject, SubjectImport
from tests.breachdesk.importing.conftest import HEADER, csv_bytes, report_of, rows, subject_row, write_csv

State = SubjectImport.State
pytestmark = pytest.mark.django_db


def run(breach_file, path: Path) -> tuple[SubjectImport, list[dict[str, str]]]:
    subject_import = import_subjects(breach_file=breach_file, path=path)
    return subject_import, report_of(subject_import)


def codes(report: list[dict[str, str]]) -> list[tuple[str, str, str]]:
    return [(entry["line"], entry["column"], entry["code"]) for entry in report]


def assert_rejected_and_nothing_stored(subject_import: SubjectImport) -> None:
    assert subject_import.state == State.REJECTED
    assert subject_import.rows_stored == 0
    assert DataSubject.objects.count() == 0


def test_an_empty_file_is_rejected_as_empty(breach_file, tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    subject_import, report = run(breach_file, path)
    assert_rejected_and_nothing_stored(subject_import)
    assert codes(report) == [("", "", "empty_file")]


def test_a_file_of_blank_lines_is_rejected_as_empty(breach_file, tmp_path):
    path = tmp_path / "blank.csv"
    path.write_bytes(b"\r\n;;;\r\n\r\n")
    subject_import, report = run(breach_file, path)
    assert_rejected_and_nothing_stored(subject_import)
    assert codes(report)[0][2] == "empty_file"


def test_a_header_only_file_is_rejected_because_it_holds_no_data_subject(breach_file, tmp_path):
    path = write_csv(tmp_path / "header.csv", [])
    subject_import, report = run(breach_file, path)
    assert_rejected_and_nothing_stored(subject_import)
    assert codes(report) == [("", "", "no_rows")]


def test_binary_garbage_is_rejected_as_not_a_text_file(breach_file, tmp_path):
    path = tmp_path / "garbage.csv"
    path.write_bytes(bytes(range(256)) * 40)
    subject_import, report = run(breach_file, path)
    assert_rejected_and_nothing_stored(subject_import)
    assert codes(report) == [("", "", "not_a_text_file")]


def test_a_file_in_an_unknown_encoding_is_rejected_with_the_line_of_the_first_bad_byte(breach_file, tmp_path):
    # 0x81 is undefined in Windows-1252 and invalid in UTF-8.
    content = csv_bytes(rows(3)).replace(b"\r\n", b"\x81\r\n", 3)
    path = tmp_path / "mystery.csv"
    path.write_bytes(content)
    subject_import, report = run(breach_file, path)
    assert_rejected_and_nothing_stored(subject_import)
    assert report[0]["code"] == "encoding"


def test_a_utf16_unicode_text_export_is_rejected_with_how_to_save_it(breach_file, tmp_path):
    path = tmp_path / "unicode.txt"
    path.write_bytes(csv_bytes(rows(1), delimiter="\t").decode().encode("utf-16"))
    subject_import, report = run(breach_file, path)
    assert_rejected_and_nothing_stored(subject_import)
    assert codes(report) == [("", "", "utf16_not_supported")]
    assert "CSV UTF-8" in subject_import.summary_text


def test_an_old_xls_workbook_is_rejected_with_how_to_save_it(breach_file, tmp_path):
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    subject_import, report = run(breach_file, path)
    assert_rejected_and_nothing_stored(subject_import)
    assert codes(report) == [("", "", "xls_not_supported")]


def test_a_corrupt_xlsx_is_rejected_as_unreadable(breach_file, tmp_path):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04" + b"not really a zip" * 20)
    subject_import, report = run(breach_file, path)
    assert_rejected_and_nothing_stored(subject_import)
    assert codes(report) == [("", "", "unreadable_xlsx")]


def test_missing_required_columns_are_each_reported_and_reject_the_file(breach_file, tmp_path):
    columns = [column for column in HEADER if column not in ("first_name", "exposed")]
    path = write_csv(tmp_path / "missing.csv", rows(2), columns=columns)
    subject_import, report = run(breach_file, path)
    assert_rejected_and_nothing_stored(subject_import)
    assert codes(report) == [("1", "exposed", "column_missing"), ("1", "first_name", "column_missing")] or codes(
        report
    ) == [("1", "first_name", "column_missing"), ("1", "exposed", "column_missing")]


def test_unknown_columns_are_reported_as_warnings_and_the_file_is_imported(breach_file, tmp_path):
    data = [{**row, "Commentaire": "rien"} for row in rows(2)]
    path = write_csv(tmp_path / "extra.csv", data, columns=[*HEADER, "Commentaire"])
    subject_import, report = run(breach_file, path)
    assert subject_import.state == State.IMPORTED
    assert ("1", "Commentaire", "column_unknown") in codes(report)


def test_bad_nir_keys_are_reported_by_line_and_column_without_the_value(breach_file, tmp_path):
    data = rows(4)
    data[1]["nir"] = data[1]["nir"][:13] + f"{(int(data[1]['nir'][13:]) + 1) % 100:02d}"
    data[3]["nir"] = data[3]["nir"][:5] + "2C" + data[3]["nir"][7:]
    path = write_csv(tmp_path / "nir.csv", data)
    subject_import, report = run(breach_file, path)
    assert_rejected_and_nothing_stored(subject_import)
    assert codes(report) == [("3", "nir", "nir_key"), ("5", "nir", "nir_format")]
    assert subject_import.rows_rejected == 2 and subject_import.rows_read == 4
    for entry in report:
        assert data[1]["nir"] not in entry["message"] and data[1]["nir"][:13] not in entry["message"]


def test_a_nir_mangled_into_scientific_notation_by_excel_gets_its_own_reason(breach_file, tmp_path):
    path = write_csv(tmp_path / "sci.csv", [subject_row(1, nir="2,85074E+14")])
    subject_import, report = run(breach_file, path)
    assert_rejected_and_nothing_stored(subject_import)
    assert codes(report) == [("2", "nir", "nir_scientific_notation")]


def test_formula_injection_in_names_is_stored_as_text_and_escaped_in_the_report(breach_file, tmp_path):
    formula = '=HYPERLINK("http://x.example")'
    data = [subject_row(1, last_name=formula, first_name="@SUM(A1)"), subject_row(2, first_name="-2+3")]
    columns = [*HEADER, "=1+1"]
    path = write_csv(tmp_path / "formula.csv", data, columns=columns)
    subject_import, _report = run(breach_file, path)
    assert subject_import.state == State.IMPORTED, subject_import.findings
    stored = DataSubject.objects.order_by("pk").first()
    assert stored is not None and stored.personal.last_name == formula
    text = report_csv(subject_import).decode("utf-8-sig")
    assert "'=1+1" in text
    for line in text.splitlines()[1:]:
        for cell in next(csv.reader([line], delimiter=";")):
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))


def test_html_in_names_is_stored_as_given(breach_file, tmp_path):
    html = "<script>alert('x')</script>"
    path = write_csv(tmp_path / "html.csv", [subject_row(1, last_name=html)])
    subject_import, _report = run(breach_file, path)
    assert subject_import.state == State.IMPORTED
    stored = DataSubject.objects.get()
    assert stored.personal.last_name == html


def test_an_address_too_long_even_abbreviated_is_imported_as_an_address_to_review_naming_the_column(
    breach_file, tmp_path
):
    data = [
        subject_row(1, address_1="123 boulevard du Maréchal Jean Marie de Lattre de Tassigny"),
        subject_row(2, address_2="Chez Madame Marie-Christine de La Villemarqué"),
        subject_row(3, city="Saint-Rémy-en-Bouzemont-Saint-Genest-et-Isson", postcode="51290"),
        subject_row(4),
    ]
    path = write_csv(tmp_path / "long.csv", data)
    subject_import, report = run(breach_file, path)
    assert subject_import.state == State.IMPORTED and subject_import.rows_stored == 4
    assert subject_import.addresses_to_review == 3
    assert codes(report) == [
        ("2", "address_1", "address_too_long"),
        ("2", "address_1", "address_to_review"),
        ("3", "address_2", "address_too_long"),
        ("3", "address_2", "address_to_review"),
        ("4", "city", "address_too_long"),
        ("4", "city", "address_to_review"),
    ]
    flagged = DataSubject.objects.filter(address_needs_review=True).order_by("source_line")
    assert [subject.source_line for subject in flagged] == [2, 3, 4]
    assert all(not subject.has_postal_address and subject.personal.address_block == [] for subject in flagged)
    assert DataSubject.objects.get(source_line=5).has_postal_address


def test_a_row_with_more_cells_than_the_header_is_rejected(breach_file, tmp_path):
    content = csv_bytes(rows(1)) + b"P9;Martin;Jean;;;;;;;;;;;;identity;;;surplus\r\n"
    path = tmp_path / "extra-cells.csv"
    path.write_bytes(content)
    subject_import, report = run(breach_file, path)
    assert_rejected_and_nothing_stored(subject_import)
    assert ("3", "", "extra_cells") in codes(report)


def test_an_unclosed_quote_is_reported_at_its_line(breach_file, tmp_path):
    content = csv_bytes(rows(2)) + b'P9;"Martin;Jean;;;;;;;;;;;;identity\r\n'
    path = tmp_path / "quote.csv"
    path.write_bytes(content)
    subject_import, report = run(breach_file, path)
    assert_rejected_and_nothing_stored(subject_import)
    assert codes(report)[-1] == ("4", "", "malformed_csv")


def test_many_errors_are_all_counted_and_the_report_stays_readable(breach_file, tmp_path):
    data = [subject_row(index, nir="1234") for index in range(50)]
    subject_import, report = run(breach_file, write_csv(tmp_path / "nirs.csv", data))
    assert_rejected_and_nothing_stored(subject_import)
    assert subject_import.errors == 50 and subject_import.rows_rejected == 50
    assert len([entry for entry in report if entry["code"] == "nir_length"]) == 50


def test_bad_optional_emails_are_set_aside_with_a_warning_each_and_the_persons_get_a_letter(breach_file, tmp_path):
    data = [subject_row(index, email="not-an-email") for index in range(50)]
    subject_import, report = run(breach_file, write_csv(tmp_path / "emails.csv", data))
    assert subject_import.state == State.IMPORTED and subject_import.rows_stored == 50
    assert subject_import.errors == 0 and subject_import.warnings == 50
    assert [entry["level"] for entry in report if entry["code"] == "email_invalid"] == ["warning"] * 50
    assert not DataSubject.objects.filter(has_email=True).exists()
    assert all(subject.channels == ["post"] and not subject.personal.email for subject in DataSubject.objects.all())


def test_a_file_without_a_header_row_never_repeats_patient_data_in_its_report(breach_file):
    from breachdesk.importing.services import import_subjects as run_import

    row = "P000001;Zyxwvutsrq;Marie;1985-07-12;;marie.zyx@example.org;;1 rue Pasteur;;;35000;Rennes;FR;fr;identity\r\n"
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "no-header.csv"
        path.write_bytes(row.encode() * 2)
        outcome = run_import(breach_file=breach_file, path=path)
    assert outcome.state == "rejected"
    text = report_csv(outcome).decode("utf-8-sig")
    assert "column_missing" in text
    for value in ("Zyxwvutsrq", "marie.zyx", "Pasteur", "P000001"):
        assert value not in text


def test_a_first_line_too_long_for_a_header_is_refused_on_row_1(breach_file, tmp_path):
    path = tmp_path / "one-line.csv"
    path.write_bytes(b"patient_ref;" + b"x" * (2 * 1024 * 1024))
    subject_import, report = run(breach_file, path)
    assert_rejected_and_nothing_stored(subject_import)
    assert codes(report) == [("1", "", "header_too_long")]
