from __future__ import annotations

import csv
import io

from django.utils import translation

from breachdesk.csvfiles import SafeCsvWriter, csv_safe, safe_csv_text
from breachdesk.importing.messages import deferred as _
from breachdesk.importing.report import Report, has_report, report_csv
from breachdesk.models import SubjectImport


def test_every_formula_character_is_escaped_with_a_quote():
    for value in ("=1+1", "+33 2 99", "-2", "@SUM(A1)", "\tx", "\rx"):
        assert csv_safe(value) == "'" + value


def test_plain_text_and_empty_values_are_left_alone():
    assert csv_safe("Le Floc'h") == "Le Floc'h"
    assert csv_safe("") == ""
    assert csv_safe(None) == ""
    assert csv_safe(12) == "12"


def test_the_safe_writer_escapes_cells_and_keeps_them_parseable():
    buffer = io.StringIO()
    SafeCsvWriter(buffer).writerow(['=HYPERLINK("http://x","y")', "a;b", 'quote "x"'])
    parsed = next(csv.reader(io.StringIO(buffer.getvalue())))
    assert parsed == ['\'=HYPERLINK("http://x","y")', "a;b", 'quote "x"']


def _stored(report: Report, **counts: int) -> SubjectImport:
    """An import holding the report as the import stores it (not saved)."""
    return SubjectImport(findings=report.to_json(), errors=report.error_count, warnings=report.warning_count, **counts)


def _rows(subject_import: SubjectImport, language: str = "fr") -> list[list[str]]:
    with translation.override(language):
        raw = report_csv(subject_import)
    assert raw.startswith(b"\xef\xbb\xbf"), "a BOM, so Excel reads UTF-8"
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))


def test_a_report_lists_errors_and_warnings_by_line_with_a_header_in_the_excel_dialect():
    report = Report()
    report.warning(3, "email", "unreachable", _("No channel."))
    report.error(2, "nir", "nir_key", _("Bad key."))
    rows = _rows(_stored(report))
    assert rows[0] == ["ligne", "colonne", "code", "message"]
    assert rows[1] == ["2", "nir", "nir_key", "Bad key."]
    assert rows[2] == ["3", "email", "unreachable", "Avertissement\u00a0: No channel."]
    assert report.error_count == 1 and report.warning_count == 1


def test_the_same_stored_report_reads_in_english_for_an_english_reader_and_in_french_for_a_french_one():
    report = Report()
    report.error(2, "nir", "nir_key", _("The NIR key (last 2 digits) does not match the first 13 characters."))
    report.warning(
        3,
        "phone",
        "phone_invalid",
        _("%(problem)s The cell is set aside: the person is imported without it.")
        % {"problem": _("This is not a valid phone number.")},
    )
    subject_import = _stored(report)
    english = _rows(subject_import, "en")
    french = _rows(subject_import, "fr")
    assert english[0] == ["line", "column", "code", "message"]
    assert english[1][3] == "The NIR key (last 2 digits) does not match the first 13 characters."
    assert english[2][3] == (
        "Warning: This is not a valid phone number. The cell is set aside: the person is imported without it."
    )
    assert french[1][3] == "La clé du NIR (2 derniers chiffres) ne correspond pas aux 13 premiers caractères."
    assert french[2][3].startswith("Avertissement\u00a0: Ce numéro de téléphone n'est pas valide.")
    assert "importée sans elle" in french[2][3]


def test_a_report_stored_as_french_sentences_before_codes_is_still_shown_and_exported():
    legacy = SubjectImport(
        error_report="line,column,code,message\r\n2,nir,nir_key,La clé du NIR ne correspond pas.\r\n"
    )
    assert has_report(legacy)
    assert _rows(legacy)[1] == ["2", "nir", "nir_key", "La clé du NIR ne correspond pas."]
    assert SubjectImport(message="Importé : 3 personnes.").summary_text == "Importé : 3 personnes."


def test_a_huge_report_is_capped_but_counted_in_full():
    report = Report(max_entries=5)
    for line in range(2, 102):
        report.error(line, "nir", "nir_key", _("Bad key."))
    rows = _rows(_stored(report))
    assert report.error_count == 100
    assert len(rows) == 1 + 5 + 1
    assert rows[-1][2] == "report_truncated" and "non listés : 95" in rows[-1][3]


def test_a_column_name_that_looks_like_a_formula_is_escaped_in_the_report():
    report = Report()
    report.warning(1, "=cmd|'/c calc'!A0", "column_unknown", _("Unknown column."))
    assert "'=cmd" in report_csv(_stored(report)).decode("utf-8-sig")
    assert safe_csv_text([["-1"]]).startswith("'-1")
