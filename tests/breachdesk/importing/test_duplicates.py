"""The same person twice: in the file, already in the breach file, or at another lab of the incident."""

from __future__ import annotations

import pytest

from breachdesk.importing.services import import_subjects
from breachdesk.models import CrossControllerMatch, DataSubject, SubjectImport
from tests.breachdesk.importing.conftest import report_of, rows, subject_row, write_csv

State = SubjectImport.State
pytestmark = pytest.mark.django_db


def test_in_file_duplicates_reject_the_file_and_name_both_lines(breach_file, tmp_path):
    data = rows(4)
    data.append(subject_row(10, patient_ref=data[0]["patient_ref"]))
    data.append(subject_row(11, nir=data[1]["nir"]))
    subject_import = import_subjects(breach_file=breach_file, path=write_csv(tmp_path / "f.csv", data))
    assert subject_import.state == State.REJECTED
    assert DataSubject.objects.count() == 0
    entries = [entry for entry in report_of(subject_import) if entry["code"] == "duplicate_in_file"]
    assert [(entry["line"], entry["column"]) for entry in entries] == [("6", "patient_ref"), ("7", "nir")]
    assert "ligne 2" in entries[0]["message"] and "ligne 3" in entries[1]["message"]
    assert subject_import.duplicates == 2


def test_the_same_name_and_birth_date_twice_in_a_file_is_a_warning_naming_the_first_line(breach_file, tmp_path):
    data = rows(4)
    # Line 5 repeats line 3's person under another reference and without NIR; line 6 is line 3's person once more.
    data.append({**data[1], "patient_ref": "TWIN-1", "nir": ""})
    data.append({**data[1], "patient_ref": "TWIN-2", "nir": ""})
    subject_import = import_subjects(breach_file=breach_file, path=write_csv(tmp_path / "f.csv", data))
    assert subject_import.state == State.IMPORTED, subject_import.findings
    assert subject_import.rows_stored == 6 and subject_import.duplicates == 2
    warnings = [entry for entry in report_of(subject_import) if entry["code"] == "possible_duplicate_in_file"]
    assert [(entry["line"], entry["column"]) for entry in warnings] == [("6", "last_name"), ("7", "last_name")]
    assert all("ligne 3" in entry["message"] for entry in warnings)
    # Each subject keeps the line it came from.
    stored = DataSubject.objects.filter(breach_file=breach_file).order_by("source_line")
    assert [subject.source_line for subject in stored] == [2, 3, 4, 5, 6, 7]
    assert [subject.personal.patient_ref for subject in stored][4:] == ["TWIN-1", "TWIN-2"]


def test_the_same_person_at_another_lab_is_recorded_for_the_compliance_officer_and_never_told_to_the_dpo(
    breach_file, other_breach_file, tmp_path, lab_dpo, other_lab_dpo, compliance_officer
):
    data = rows(3)
    assert import_subjects(breach_file=other_breach_file, path=write_csv(tmp_path / "brest.csv", data)).state == (
        State.IMPORTED
    )
    # Same NIR under the other lab's own references; the third one only shares name and birth date.
    mine = [
        {**data[0], "patient_ref": "R-1"},
        {**data[1], "patient_ref": "R-2"},
        {**data[2], "patient_ref": "R-3", "nir": ""},
    ]
    subject_import = import_subjects(breach_file=breach_file, path=write_csv(tmp_path / "rennes.csv", mine))
    assert subject_import.state == State.IMPORTED, subject_import.findings
    # Finding 1: nothing the Rennes DPO reads depends on Brest's data subjects.
    assert subject_import.duplicates == 0
    assert "LAB-BREST" not in str(report_of(subject_import)) + str(subject_import.outcome) + subject_import.summary_text
    assert not {entry["code"] for entry in report_of(subject_import)} & {
        "same_person_other_controller",
        "possibly_same_person_other_controller",
    }
    recorded = CrossControllerMatch.objects.filter(breach_file=breach_file)
    assert sorted(recorded.values_list("subject__source_line", "basis")) == [(2, "nir"), (3, "nir"), (4, "identity")]
    assert set(recorded.values_list("other_breach_file", flat=True)) == {other_breach_file.pk}
    assert CrossControllerMatch.objects.visible_to(compliance_officer).count() == 3
    assert CrossControllerMatch.objects.visible_to(lab_dpo).count() == 0
    assert CrossControllerMatch.objects.visible_to(other_lab_dpo).count() == 0
    assert DataSubject.objects.filter(breach_file=breach_file).count() == 3
    assert DataSubject.objects.filter(breach_file=other_breach_file).count() == 3


def test_a_second_file_repeating_subjects_already_in_the_breach_file_is_rejected(breach_file, tmp_path):
    assert import_subjects(breach_file=breach_file, path=write_csv(tmp_path / "a.csv", rows(3))).state == (
        State.IMPORTED
    )
    second = write_csv(tmp_path / "b.csv", rows(3, start=2))
    subject_import = import_subjects(breach_file=breach_file, path=second)
    assert subject_import.state == State.REJECTED
    assert [(entry["line"], entry["code"]) for entry in report_of(subject_import) if entry["code"] != "unreachable"][
        :2
    ] == [("2", "already_in_breach_file"), ("2", "already_in_breach_file")]
    assert DataSubject.objects.filter(breach_file=breach_file).count() == 3


def test_a_dry_run_says_the_same_whether_or_not_another_lab_has_these_people(breach_file, other_breach_file, tmp_path):
    data = rows(3)
    mine = write_csv(tmp_path / "rennes.csv", [{**data[1], "patient_ref": "R-1"}, *rows(2, start=20)])
    before = import_subjects(breach_file=breach_file, path=mine, dry_run=True)
    assert import_subjects(breach_file=other_breach_file, path=write_csv(tmp_path / "brest.csv", data)).state == (
        State.IMPORTED
    )
    rehearsal = import_subjects(breach_file=breach_file, path=mine, dry_run=True)
    assert rehearsal.state == before.state == State.VALID and rehearsal.rows_stored == 0
    assert (rehearsal.findings, rehearsal.outcome, rehearsal.duplicates) == (
        before.findings,
        before.outcome,
        before.duplicates,
    )
    assert not CrossControllerMatch.objects.exists()
    imported = import_subjects(breach_file=breach_file, path=mine)
    assert imported.findings == rehearsal.findings
    assert CrossControllerMatch.objects.filter(breach_file=breach_file).count() == 1


def test_the_import_page_shows_the_same_people_elsewhere_only_to_who_may_see_both_files(
    client, breach_file, other_breach_file, tmp_path, lab_dpo, compliance_officer
):
    from django.urls import reverse

    data = rows(2)
    import_subjects(breach_file=other_breach_file, path=write_csv(tmp_path / "brest.csv", data))
    mine = [{**data[0], "patient_ref": "R-1"}, *rows(1, start=30)]
    import_subjects(breach_file=breach_file, path=write_csv(tmp_path / "rennes.csv", mine))
    url = reverse("subject_import", args=[breach_file.incident.reference, breach_file.controller.code])
    client.force_login(compliance_officer)
    seen = client.get(url).content.decode()
    assert 'data-testid="same-people-elsewhere"' in seen and "LAB-BREST" in seen
    assert "Mêmes personnes chez d'autres responsables de traitement" in seen and "Même NIR" in seen
    assert "Visible seulement par qui peut voir les deux dossiers." in seen
    client.force_login(lab_dpo)
    page = client.get(url).content.decode()
    assert 'data-testid="same-people-elsewhere"' not in page and "LAB-BREST" not in page
