"""Key rotation covers every encrypted artefact, and `rotate_keys --check` says when an old key can be dropped."""

# ruff: noqa: F811  (pytest fixtures imported from campaign_fixtures)
from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from breachdesk import crypto
from breachdesk.importing.services import process_subject_import, stage_subject_import
from breachdesk.models import DataSubject, ExposureSummary, SubjectImport
from notifications.models import Campaign
from notifications.services import campaigns, mailroom
from tests.breachdesk.importing.conftest import FakeUpload, csv_bytes, rows
from tests.factories import DataSubjectFactory
from tests.notifications.campaign_fixtures import decide_to_inform, informed_file, make_subjects  # noqa: F401

pytestmark = pytest.mark.django_db


def _command(*arguments: str) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("rotate_keys", *arguments, stdout=out, stderr=err)
    except CommandError as error:
        return error.returncode, out.getvalue() + str(error), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def _new_key_first(settings) -> tuple[str, str]:
    old_key = settings.DATA_ENCRYPTION_KEYS[0]
    new_key = crypto.generate_key()
    settings.DATA_ENCRYPTION_KEYS = [new_key, old_key]
    return new_key, old_key


def test_after_rotation_the_old_key_can_be_dropped_for_rows_uploads_and_print_batches(
    informed_file, lab_dpo, outside_breach_file, settings
):
    campaigns.launch_campaign(breach_file=informed_file, user=lab_dpo, channels="post")
    batch = mailroom.build_print_batches(campaign_id=Campaign.objects.get().pk)[0]
    pdf = mailroom.read_batch_pdf(batch)
    waiting = stage_subject_import(
        breach_file=outside_breach_file,
        upload=FakeUpload(csv_bytes(rows(3)), chunk_size=7),
        user=None,
        original_name="patients.csv",
    )
    subjects = DataSubject.objects.count()
    new_key, old_key = _new_key_first(settings)

    code, output, _errors = _command("--check")
    assert code == 1
    assert f"Key 2 ({crypto.key_fingerprint(old_key)}, decrypts only):" in output
    assert f"  breachdesk_datasubject.personal_token: {subjects} rows" in output
    assert "  breachdesk_subjectimport.original_name_token: 1 rows" in output
    assert "  import upload: 1 files" in output
    assert "  print batch: 1 files" in output
    assert old_key not in output and new_key not in output

    code, output, _errors = _command()
    assert code == 0
    # Each data subject, the waiting upload's file name, the informed file's exposure summary.
    rows_count = subjects + SubjectImport.objects.count() + ExposureSummary.objects.count()
    assert rows_count == subjects + 2
    assert f"Re-encrypted {rows_count} rows and 2 files under the first key" in output
    code, output, _errors = _command("--check")
    assert code == 0, output
    assert f"  breachdesk_datasubject.personal_token: {subjects} rows" in output.split("Key 2")[0]

    settings.DATA_ENCRYPTION_KEYS = [new_key]
    assert all(subject.personal.last_name for subject in DataSubject.objects.all())
    assert mailroom.read_batch_pdf(batch) == pdf
    assert SubjectImport.objects.get(pk=waiting.pk).original_name == "patients.csv"
    done = process_subject_import(subject_import_id=waiting.pk)
    assert done.state == SubjectImport.State.IMPORTED, done.message


def test_a_second_rotation_rewrites_nothing(breach_file, settings):
    DataSubjectFactory.create_batch(3, breach_file=breach_file)
    _new_key_first(settings)
    # The three persons and the breach file's exposure summary.
    assert "Re-encrypted 4 rows and 0 files" in _command()[1]
    assert "Re-encrypted 0 rows and 0 files" in _command()[1]


def test_an_unreadable_row_is_reported_by_table_and_id_and_skipped(breach_file, settings):
    subjects = DataSubjectFactory.create_batch(4, breach_file=breach_file)
    broken = subjects[1]
    token = broken.personal_token
    DataSubject.objects.filter(pk=broken.pk).update(personal_token=token[:-6] + "AAAAAA")
    new_key, _old_key = _new_key_first(settings)

    code, output, errors = _command("--check")
    assert code == 1
    assert errors.strip() == f"Unreadable with every key: breachdesk_datasubject.personal_token #{broken.pk}"

    code, output, errors = _command()
    assert code == 1
    assert "Re-encrypted 4 rows" in output  # three persons and the exposure summary
    assert errors.strip() == f"Skipped: breachdesk_datasubject.personal_token #{broken.pk}"
    assert token[:20] not in output + errors

    settings.DATA_ENCRYPTION_KEYS = [new_key]
    readable = DataSubject.objects.exclude(pk=broken.pk)
    assert [subject.personal.patient_ref for subject in readable] == [
        s.personal.patient_ref for s in subjects if s != broken
    ]


def test_an_unreadable_upload_is_reported_and_skipped(breach_file, lab_dpo, settings):
    waiting = stage_subject_import(breach_file=breach_file, upload=FakeUpload(csv_bytes(rows(2))), user=lab_dpo)
    path = Path(settings.PRIVATE_STORAGE_DIR, waiting.stored_path)
    path.write_bytes(path.read_bytes()[:-10])
    _new_key_first(settings)
    code, _output, errors = _command()
    assert code == 1
    assert errors.strip() == f"Skipped: import upload #{waiting.pk}"
