from __future__ import annotations

import csv
import io

from breachdesk.csvfiles import SafeCsvWriter, csv_safe, safe_csv_text
from breachdesk.importing.report import Report


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


def test_a_report_lists_errors_and_warnings_by_line_with_a_header():
    report = Report()
    report.warning(3, "email", "unreachable", "No channel.")
    report.error(2, "nir", "nir_key", "Bad key.")
    rows = list(csv.reader(io.StringIO(report.to_csv())))
    assert rows[0] == ["line", "column", "code", "message"]
    assert rows[1] == ["2", "nir", "nir_key", "Bad key."]
    assert rows[2] == ["3", "email", "unreachable", "Avertissement : No channel."]
    assert report.error_count == 1 and report.warning_count == 1


def test_a_huge_report_is_capped_but_counted_in_full():
    report = Report(max_entries=5)
    for line in range(2, 102):
        report.error(line, "nir", "nir_key", "Bad key.")
    rows = list(csv.reader(io.StringIO(report.to_csv())))
    assert report.error_count == 100
    assert len(rows) == 1 + 5 + 1
    assert rows[-1][2] == "report_truncated" and "non listés : 95" in rows[-1][3]


def test_a_column_name_that_looks_like_a_formula_is_escaped_in_the_report():
    report = Report()
    report.warning(1, "=cmd|'/c calc'!A0", "column_unknown", "Unknown column.")
    assert "'=cmd" in report.to_csv()
    assert safe_csv_text([["-1"]]).startswith("'-1")
