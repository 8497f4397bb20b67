"""The one dialect of a CSV a person opens: what French Excel reads in columns, with its accents."""

from __future__ import annotations

import csv
import io

from breachdesk.csvfiles import csv_text, spreadsheet_lines, spreadsheet_text


def test_a_spreadsheet_csv_is_semicolon_separated_utf8_with_a_byte_order_mark_and_crlf():
    text = spreadsheet_text(["Organisme", "Référence"], [["Laboratoire d'Angers", "=1+1"], ["Hôpital", "a;b"]])

    assert text.encode("utf-8").startswith(b"\xef\xbb\xbf")
    assert text == "\ufeffOrganisme;Référence\r\nLaboratoire d'Angers;'=1+1\r\nHôpital;\"a;b\"\r\n"


def test_the_streamed_spreadsheet_csv_is_the_same_document():
    header, rows = ["Canal", "État"], [["Courrier", "Posté"], ["E-mail", "-envoyé"]]

    assert "".join(spreadsheet_lines(header, rows)) == spreadsheet_text(header, rows)
    parsed = list(csv.reader(io.StringIO(spreadsheet_text(header, rows).removeprefix("\ufeff")), delimiter=";"))
    assert parsed == [header, ["Courrier", "Posté"], ["E-mail", "'-envoyé"]]


def test_a_file_for_a_machine_has_no_byte_order_mark():
    assert csv_text(["position", "letter_reference"], [[1, "BD-1"]]) == "position;letter_reference\r\n1;BD-1\r\n"
