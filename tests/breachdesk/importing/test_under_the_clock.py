"""Import that helps under the clock: optional cells set aside with warnings, identities still required."""

from __future__ import annotations

import pytest

from breachdesk.importing.address import shorten
from breachdesk.importing.review import clear_address_review
from breachdesk.importing.services import import_subjects
from breachdesk.models import DataSubject, SubjectImport
from tests.breachdesk.importing.conftest import report_of, subject_row, write_csv

State = SubjectImport.State
pytestmark = pytest.mark.django_db

# 55 characters: over NF Z10-011's 38, within them once AVENUE, GENERAL, FAUBOURG and SAINT are abbreviated.
LONG_STREET = "1234 avenue du Général de Gaulle faubourg Saint-Nicolas"


def findings(subject_import: SubjectImport) -> list[tuple[str, str, str, str]]:
    return [(entry["line"], entry["column"], entry["code"], entry["level"]) for entry in report_of(subject_import)]


def test_a_long_street_is_abbreviated_and_a_bad_phone_set_aside_and_the_person_is_imported_with_warnings(
    breach_file, tmp_path
):
    assert len(LONG_STREET) == 55
    data = [subject_row(1, address_1=LONG_STREET, phone="12"), subject_row(2)]
    subject_import = import_subjects(breach_file=breach_file, path=write_csv(tmp_path / "lab.csv", data))
    assert subject_import.state == State.IMPORTED, subject_import.findings
    assert subject_import.rows_stored == 2 and subject_import.errors == 0 and subject_import.warnings == 1
    assert findings(subject_import) == [("2", "phone", "phone_invalid", "warning")]
    person = DataSubject.objects.get(source_line=2)
    assert person.personal.phone == ""
    assert person.personal.address_block[-2] == "1234 AV DU GAL DE GAULLE FG ST NICOLAS"
    assert person.has_postal_address and not person.address_needs_review and person.channels == ["post", "email"]
    assert DataSubject.objects.get(source_line=3).personal.phone.startswith("+33")
    assert "Avertissements\u00a0: 1 (cellules mises de côté" in subject_import.summary_text


def test_a_missing_first_name_rejects_the_whole_file_naming_the_row_and_the_column(breach_file, tmp_path):
    data = [subject_row(1), subject_row(2, first_name=""), subject_row(3, email="not-an-email")]
    subject_import = import_subjects(breach_file=breach_file, path=write_csv(tmp_path / "lab.csv", data))
    assert subject_import.state == State.REJECTED
    assert subject_import.rows_stored == 0 and not DataSubject.objects.exists()
    assert ("3", "first_name", "required", "error") in findings(subject_import)
    assert ("4", "email", "email_invalid", "warning") in findings(subject_import)
    assert subject_import.errors == 1


@pytest.mark.parametrize(
    ("column", "code"),
    [("patient_ref", "required"), ("last_name", "required"), ("exposed", "required"), ("exposed", "exposure_unknown")],
)
def test_a_row_that_cannot_identify_a_person_or_names_no_exposure_rejects_the_file(breach_file, tmp_path, column, code):
    value = "flu" if code == "exposure_unknown" else ""
    data = [subject_row(1), subject_row(2, **{column: value})]
    subject_import = import_subjects(breach_file=breach_file, path=write_csv(tmp_path / "lab.csv", data))
    assert subject_import.state == State.REJECTED and not DataSubject.objects.exists()
    assert [(line, name, found) for line, name, found, level in findings(subject_import) if level == "error"] == [
        ("3", column, code)
    ]


def test_every_row_is_stored_or_the_file_is_rejected_with_the_row_s_error(breach_file, tmp_path):
    data = [
        subject_row(1, email="broken@"),
        subject_row(2, postcode="ABCDE"),
        subject_row(3, title="Dr"),
        subject_row(4, address_2="x" * 300),
        subject_row(5),
    ]
    subject_import = import_subjects(breach_file=breach_file, path=write_csv(tmp_path / "lab.csv", data))
    assert subject_import.state == State.IMPORTED, subject_import.findings
    assert subject_import.rows_read == subject_import.rows_stored == DataSubject.objects.count() == 5
    assert subject_import.addresses_to_review == 2
    assert {line for line, _column, _code, _level in findings(subject_import)} == {"2", "3", "4", "5"}
    to_review = DataSubject.objects.filter(address_needs_review=True).order_by("source_line")
    assert [subject.source_line for subject in to_review] == [3, 5], "postcode set aside, a line set aside"
    assert all(subject.channels == ["email"] for subject in to_review)
    assert DataSubject.objects.get(source_line=2).channels == ["post"]
    assert DataSubject.objects.get(source_line=4).personal.title == ""


def test_an_address_that_cannot_be_shortened_is_to_review_until_a_corrected_address_prints(breach_file, tmp_path):
    street = "12 chemin des Grandes Vignes du Haut Pays Bigouden de Cornouaille"
    data = [subject_row(1, address_1=street, email="")]
    subject_import = import_subjects(breach_file=breach_file, path=write_csv(tmp_path / "lab.csv", data))
    assert subject_import.state == State.IMPORTED
    assert findings(subject_import) == [
        ("2", "address_1", "address_too_long", "warning"),
        ("2", "address_1", "address_to_review", "warning"),
    ]
    assert subject_import.addresses_to_review == 1 and subject_import.unreachable == 1
    subject = DataSubject.objects.get()
    assert subject.address_needs_review and not subject.has_postal_address and subject.channels == []
    assert subject.personal.address_1 == street, "kept as given, for the person who corrects it"

    assert [problem.code for problem in clear_address_review(subject=subject)] == ["address_too_long"]
    assert DataSubject.objects.get().address_needs_review

    personal = subject.personal
    personal.address_1 = "12 chemin des Grandes Vignes"
    subject.personal = personal
    subject.save()
    assert clear_address_review(subject=subject) == []
    corrected = DataSubject.objects.get()
    assert not corrected.address_needs_review and corrected.channels == ["post"]
    assert corrected.personal.address_block[-2] == "12 CHEMIN DES GRANDES VIGNES"


def test_the_standard_abbreviations_apply_one_at_a_time_and_only_to_a_line_too_long():
    assert shorten("12 AVENUE DU GENERAL LECLERC") == "12 AVENUE DU GENERAL LECLERC"
    assert shorten("12 BOULEVARD DU MARECHAL DE LATTRE DE TASSIGNY") == "12 BD DU MAL DE LATTRE DE TASSIGNY"
    # Street types first: the title is kept when the street type was enough.
    assert shorten("12 AVENUE DU GENERAL DE GAULLE PROLONGEE X") == "12 AV DU GENERAL DE GAULLE PROLONGEE X"
    assert shorten("Résidence Notre-Dame des Flots, Bâtiment C escalier 2") == "RES Notre-Dame des Flots, BAT C ESC 2"
    assert shorten("Résidence Notre-Dame des Flots Marins, Bâtiment C esc 2") == "RES ND des Flots Marins, BAT C esc 2"
