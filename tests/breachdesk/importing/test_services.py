"""The import workflows end to end: a file from disk, an upload staged for the worker, limits and outcomes."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

from breachdesk.importing import progress
from breachdesk.importing.services import import_subjects, process_subject_import, stage_subject_import
from breachdesk.models import AuditEvent, BreachFileEvent, DataSubject, PersonalData, SubjectImport
from tests.breachdesk.importing.conftest import (
    FakeUpload,
    csv_bytes,
    report_of,
    rows,
    subject_row,
    write_csv,
    write_xlsx,
)

State = SubjectImport.State
pytestmark = pytest.mark.django_db


def test_a_valid_file_is_imported_encrypted_with_blind_indexes_equal_to_the_models(breach_file, tmp_path):
    data = rows(20)
    subject_import = import_subjects(breach_file=breach_file, path=write_csv(tmp_path / "lab.csv", data))
    assert subject_import.state == State.IMPORTED, subject_import.findings
    assert subject_import.rows_read == subject_import.rows_validated == subject_import.rows_stored == 20
    subjects = list(DataSubject.objects.filter(breach_file=breach_file).order_by("pk"))
    assert len(subjects) == 20
    first = subjects[0]
    personal = first.personal
    assert personal.patient_ref == data[0]["patient_ref"]
    assert personal.nir == data[0]["nir"]
    assert personal.phone.startswith("+332")
    assert data[0]["last_name"] not in first.personal_token
    # The indexes the import computed are those the model's setter computes.
    twin = DataSubject(breach_file=breach_file)
    twin.personal = PersonalData.from_json(personal.to_json())
    for name in DataSubject.SET_WITH_PERSONAL:
        if name == "personal_token":
            continue  # a fresh nonce each encryption
        assert getattr(first, name) == getattr(twin, name), name
    assert first.import_batch_id == subject_import.pk
    assert first.channels == ["post", "email"]


def test_a_french_excel_export_in_windows_1252_with_semicolons_and_crlf_is_imported(breach_file, tmp_path):
    data = [
        subject_row(1, last_name="Quéré", first_name="Gwenaëlle", address_1="3 place de l'Église"),
        subject_row(2, last_name="Lefèvre", first_name="Loïc", city="Alençon", postcode="61000"),
        subject_row(3, last_name="Jégou", first_name="Françoise"),
    ]
    path = write_csv(tmp_path / "export.csv", data, encoding="cp1252", delimiter=";", newline="\r\n")
    assert b"\r\n" in path.read_bytes() and "Quéré".encode("cp1252") in path.read_bytes()
    subject_import = import_subjects(breach_file=breach_file, path=path)
    assert subject_import.state == State.IMPORTED, subject_import.findings
    assert (subject_import.file_encoding, subject_import.delimiter) == ("cp1252", ";")
    names = {subject.personal.last_name for subject in DataSubject.objects.filter(breach_file=breach_file)}
    assert names == {"Quéré", "Lefèvre", "Jégou"}
    first = DataSubject.objects.filter(breach_file=breach_file).order_by("pk").first()
    assert first is not None and first.personal.address_block[-2] == "3 PLACE DE L EGLISE"


def test_a_utf8_export_with_a_bom_semicolons_and_crlf_is_imported(breach_file, tmp_path):
    data = [subject_row(1, last_name="Cœurdevey", first_name="Maëlle"), subject_row(2)]
    path = write_csv(tmp_path / "export.csv", data, encoding="utf-8", bom=True, delimiter=";", newline="\r\n")
    subject_import = import_subjects(breach_file=breach_file, path=path)
    assert subject_import.state == State.IMPORTED, subject_import.findings
    assert subject_import.file_encoding == "utf-8-sig"
    assert {subject.personal.last_name for subject in DataSubject.objects.all()} == {"Cœurdevey", data[1]["last_name"]}


def test_a_comma_separated_lf_file_with_a_quoted_line_break_is_imported(breach_file, tmp_path):
    data = [subject_row(1, address_3="Résidence Les Pins\nBâtiment B"), subject_row(2, last_name="Martin, dit Bob")]
    path = write_csv(tmp_path / "export.csv", data, delimiter=",", newline="\n")
    subject_import = import_subjects(breach_file=breach_file, path=path)
    assert subject_import.state == State.IMPORTED, subject_import.findings
    assert subject_import.delimiter == ","
    subjects = {subject.personal.patient_ref: subject.personal for subject in DataSubject.objects.all()}
    assert subjects[data[0]["patient_ref"]].address_3 == "Résidence Les Pins Bâtiment B"
    assert subjects[data[1]["patient_ref"]].last_name == "Martin, dit Bob"


def test_a_report_line_number_is_the_line_where_the_row_starts_after_a_quoted_line_break(breach_file, tmp_path):
    data = [subject_row(1, address_3="Résidence\nBâtiment B"), subject_row(2, nir="295109912611199")]
    subject_import = import_subjects(breach_file=breach_file, path=write_csv(tmp_path / "f.csv", data))
    assert subject_import.state == State.REJECTED
    assert [(entry["line"], entry["column"], entry["code"]) for entry in report_of(subject_import)] == [
        ("4", "nir", "nir_key")
    ]


def test_an_xlsx_sheet_is_imported_with_dates_and_numbers_as_excel_stores_them(breach_file, tmp_path):
    from datetime import datetime

    first = subject_row(1)
    second = subject_row(2)
    data: list[dict[str, object]] = [
        {**first, "birth_date": datetime(1985, 7, 12), "postcode": 35000},
        {**second, "postcode": 1000, "city": "Bourg-en-Bresse", "phone": 299451234},
    ]
    subject_import = import_subjects(breach_file=breach_file, path=write_xlsx(tmp_path / "lab.xlsx", data))
    assert subject_import.state == State.IMPORTED, subject_import.findings
    assert subject_import.file_format == "xlsx"
    stored = {subject.personal.patient_ref: subject.personal for subject in DataSubject.objects.all()}
    assert str(stored[first["patient_ref"]].birth_date) == "1985-07-12"
    assert stored[second["patient_ref"]].postcode == "01000"
    assert stored[second["patient_ref"]].phone == "+33299451234"
    assert any(entry["code"] == "postcode_leading_zero" for entry in report_of(subject_import))


def test_an_xlsx_whose_recorded_dimension_is_wrong_loses_no_row(breach_file, tmp_path):
    import zipfile

    path = write_xlsx(tmp_path / "lab.xlsx", rows(5))
    patched = tmp_path / "patched.xlsx"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(patched, "w") as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = content.replace(b'<dimension ref="A1:Q6"/>', b'<dimension ref="A1:Q2"/>')
                assert b'ref="A1:Q2"' in content
            target.writestr(item, content)
    subject_import = import_subjects(breach_file=breach_file, path=patched)
    assert subject_import.state == State.IMPORTED
    assert subject_import.rows_stored == 5


def test_reimporting_the_same_file_is_harmless_and_reported(breach_file, tmp_path):
    path = write_csv(tmp_path / "a.csv", rows(3))
    first = import_subjects(breach_file=breach_file, path=path)
    again = import_subjects(breach_file=breach_file, path=path)
    assert first.state == State.IMPORTED
    assert again.state == State.ALREADY_IMPORTED
    assert f"#{first.pk}" in again.summary_text
    assert DataSubject.objects.count() == 3


def test_subjects_without_address_nor_email_are_imported_and_flagged_unreachable(breach_file, tmp_path):
    data = [subject_row(1), subject_row(2, email="", address_1="", postcode="", city="")]
    subject_import = import_subjects(breach_file=breach_file, path=write_csv(tmp_path / "a.csv", data))
    assert subject_import.state == State.IMPORTED
    assert subject_import.unreachable == 1
    unreachable = DataSubject.objects.get(has_postal_address=False, has_email=False)
    assert unreachable.channels == []


def test_the_breach_file_counts_and_categories_follow_the_subjects(breach_file, tmp_path):
    data = [subject_row(1, exposed="identity|contact"), subject_row(2, exposed="identity|nir|hiv")]
    import_subjects(breach_file=breach_file, path=write_csv(tmp_path / "a.csv", data))
    breach_file.refresh_from_db()
    assert breach_file.approximate_persons == 2
    assert breach_file.approximate_records == 2
    assert breach_file.data_categories == ["civil_status", "nir", "contact", "health"]


def test_an_override_reason_keeps_the_counts_the_dpo_set(breach_file, tmp_path):
    breach_file.approximate_persons = 500_000
    breach_file.data_categories = ["health"]
    breach_file.counts_override_reason = "The processor's figure for the whole leaked file."
    breach_file.save()
    subject_import = import_subjects(breach_file=breach_file, path=write_csv(tmp_path / "a.csv", rows(2)))
    assert subject_import.state == State.IMPORTED
    breach_file.refresh_from_db()
    assert breach_file.approximate_persons == 500_000
    assert breach_file.data_categories == ["health"]
    assert "corrigés manuellement" in subject_import.summary_text


def test_the_timeline_and_audit_trail_record_the_import_without_personal_data(breach_file, tmp_path):
    data = rows(2)
    subject_import = import_subjects(breach_file=breach_file, path=write_csv(tmp_path / "a.csv", data))
    event = BreachFileEvent.objects.get(breach_file=breach_file, kind="subjects_imported")
    audit = AuditEvent.objects.get(action=AuditEvent.Action.IMPORT, object_id=str(subject_import.pk))
    for row in data:
        for value in (row["last_name"], row["nir"], row["email"], row["patient_ref"]):
            assert value not in event.text and value not in str(event.params) and value not in audit.detail


def test_a_dry_run_validates_everything_and_stores_nothing(breach_file, tmp_path):
    path = write_csv(tmp_path / "a.csv", rows(5))
    subject_import = import_subjects(breach_file=breach_file, path=path, dry_run=True)
    assert subject_import.state == State.VALID
    assert subject_import.rows_validated == 5 and subject_import.rows_stored == 0
    assert DataSubject.objects.count() == 0
    assert import_subjects(breach_file=breach_file, path=path).state == State.IMPORTED


def test_the_row_limit_is_checked_before_parsing_with_a_clear_message(breach_file, tmp_path, settings):
    settings.IMPORT_MAX_ROWS = 3
    subject_import = import_subjects(breach_file=breach_file, path=write_csv(tmp_path / "a.csv", rows(4)))
    assert subject_import.state == State.REJECTED
    assert subject_import.rows_read == 0
    assert "limite de 3 lignes" in subject_import.summary_text


def test_quoted_line_breaks_do_not_count_as_rows_against_the_limit(breach_file, tmp_path, settings):
    settings.IMPORT_MAX_ROWS = 3
    data = [subject_row(index, address_3="Bâtiment\nB") for index in range(3)]
    subject_import = import_subjects(breach_file=breach_file, path=write_csv(tmp_path / "a.csv", data))
    assert subject_import.state == State.IMPORTED, subject_import.summary_text


def test_the_size_limit_is_checked_before_reading(breach_file, tmp_path, settings):
    settings.IMPORT_MAX_BYTES = 100
    subject_import = import_subjects(breach_file=breach_file, path=write_csv(tmp_path / "a.csv", rows(4)))
    assert subject_import.state == State.REJECTED
    assert "limit" in subject_import.summary_text and subject_import.rows_read == 0


def test_an_upload_waits_encrypted_and_is_deleted_once_imported(breach_file, lab_dpo):
    content = csv_bytes(rows(3))
    subject_import = stage_subject_import(
        breach_file=breach_file, upload=FakeUpload(content, chunk_size=7), user=lab_dpo, original_name="a.csv"
    )
    assert subject_import.state == State.PENDING
    assert subject_import.stored_path.startswith("imports/"), "a name in the private storage, not a local path"
    stored = Path(settings.PRIVATE_STORAGE_DIR, subject_import.stored_path)
    raw = stored.read_bytes()
    assert content[:40] not in raw
    for row in rows(3):
        assert row["last_name"].encode() not in raw and row["nir"].encode() not in raw
    done = process_subject_import(subject_import_id=subject_import.pk)
    assert done.state == State.IMPORTED, done.findings
    assert not stored.exists()
    assert SubjectImport.objects.get(pk=subject_import.pk).stored_path == ""
    assert DataSubject.objects.count() == 3


def test_a_rejected_upload_is_deleted_too(breach_file, lab_dpo):
    content = csv_bytes([subject_row(1, nir="295109912611199")])
    subject_import = stage_subject_import(breach_file=breach_file, upload=FakeUpload(content), user=lab_dpo)
    stored = Path(settings.PRIVATE_STORAGE_DIR, subject_import.stored_path)
    done = process_subject_import(subject_import_id=subject_import.pk)
    assert done.state == State.REJECTED
    assert not stored.exists()
    assert list(stored.parent.iterdir()) == []


def test_a_large_upload_is_stored_in_encrypted_chunks_and_read_back_exactly(breach_file, lab_dpo):
    from breachdesk.importing.storage import CHUNK_SIZE, open_encrypted

    data = rows(400) * 1
    content = csv_bytes(data) * 1
    content = content + b"\r\n" * (CHUNK_SIZE * 2 - len(content) % CHUNK_SIZE + 17)
    subject_import = stage_subject_import(breach_file=breach_file, upload=FakeUpload(content), user=lab_dpo)
    with open_encrypted(subject_import.stored_path) as stream:
        assert stream.read() == content
        stream.seek(CHUNK_SIZE - 3)
        assert stream.read(6) == content[CHUNK_SIZE - 3 : CHUNK_SIZE + 3]
    assert process_subject_import(subject_import_id=subject_import.pk).rows_stored == 400


def test_staging_the_same_file_again_is_reported_as_already_imported_at_once(breach_file, lab_dpo):
    content = csv_bytes(rows(2))
    first = stage_subject_import(breach_file=breach_file, upload=FakeUpload(content), user=lab_dpo)
    process_subject_import(subject_import_id=first.pk)
    again = stage_subject_import(breach_file=breach_file, upload=FakeUpload(content), user=lab_dpo)
    assert again.state == State.ALREADY_IMPORTED and again.stored_path == ""


def test_two_queued_copies_of_one_file_import_it_once(breach_file, lab_dpo):
    content = csv_bytes(rows(2))
    first = stage_subject_import(breach_file=breach_file, upload=FakeUpload(content), user=lab_dpo)
    second = stage_subject_import(breach_file=breach_file, upload=FakeUpload(content), user=lab_dpo)
    assert process_subject_import(subject_import_id=first.pk).state == State.IMPORTED
    assert process_subject_import(subject_import_id=second.pk).state == State.ALREADY_IMPORTED
    assert DataSubject.objects.count() == 2


def test_the_worker_publishes_progress_while_it_runs(breach_file, lab_dpo, monkeypatch):
    from breachdesk.importing import importer

    seen: list[dict[str, int]] = []
    original = progress.write_progress

    def spy(subject_import_id: int, **counts: int) -> None:
        original(subject_import_id, **counts)
        live = progress.read_progress(subject_import_id)
        assert live is not None
        seen.append(live)

    monkeypatch.setattr(importer.progress_file, "write_progress", spy)
    monkeypatch.setattr(settings, "IMPORT_BATCH_SIZE", 2)
    subject_import = stage_subject_import(breach_file=breach_file, upload=FakeUpload(csv_bytes(rows(5))), user=None)
    process_subject_import(subject_import_id=subject_import.pk)
    assert [entry["rows_read"] for entry in seen] == [0, 2, 4, 5]
    assert seen[-1] == {"rows_read": 5, "rows_validated": 5, "rows_stored": 5}
    assert progress.read_progress(subject_import.pk) is None, "cleared once the import ended"


def test_a_file_gone_before_the_worker_came_fails_cleanly(breach_file, lab_dpo):
    subject_import = stage_subject_import(breach_file=breach_file, upload=FakeUpload(csv_bytes(rows(1))), user=lab_dpo)
    Path(settings.PRIVATE_STORAGE_DIR, subject_import.stored_path).unlink()
    done = process_subject_import(subject_import_id=subject_import.pk)
    assert done.state == State.FAILED
    assert "déposez-le de nouveau" in done.summary_text


def test_an_unexpected_error_logs_ids_only_and_stores_nothing(breach_file, tmp_path, monkeypatch, caplog):
    from breachdesk.importing.importer import Importer

    data = rows(3)

    def broken_write(self, batch):  # type: ignore[no-untyped-def]
        raise ValueError(f"cannot store {batch[0].personal['last_name']} {batch[0].personal['nir']}")

    monkeypatch.setattr(Importer, "_write", broken_write)
    with caplog.at_level("DEBUG"):
        subject_import = import_subjects(breach_file=breach_file, path=write_csv(tmp_path / "a.csv", data))
    assert subject_import.state == State.FAILED
    assert DataSubject.objects.count() == 0
    logged = caplog.text + subject_import.summary_text + str(subject_import.findings)
    assert f"import {subject_import.pk} failed" in caplog.text
    for row in data:
        assert row["last_name"] not in logged and row["nir"] not in logged
