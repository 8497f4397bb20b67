from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from django.conf import settings

from breachdesk import tasks
from breachdesk.importing import progress
from breachdesk.importing.selectors import stale_subject_imports
from breachdesk.importing.services import claim_subject_import, stage_subject_import
from breachdesk.models import DataSubject, SubjectImport
from tests.breachdesk.importing.conftest import FakeUpload, csv_bytes, rows

State = SubjectImport.State
pytestmark = pytest.mark.django_db


def staged(breach_file, user, count: int = 3) -> SubjectImport:
    return stage_subject_import(breach_file=breach_file, upload=FakeUpload(csv_bytes(rows(count))), user=user)


def test_running_the_task_twice_imports_once(breach_file, lab_dpo):
    subject_import = staged(breach_file, lab_dpo)
    tasks.run_subject_import(subject_import.pk)
    tasks.run_subject_import(subject_import.pk)
    subject_import.refresh_from_db()
    assert subject_import.state == State.IMPORTED
    assert DataSubject.objects.count() == 3
    assert subject_import.data_subjects.count() == 3


def test_a_second_run_leaves_an_import_another_worker_is_running_alone(breach_file, lab_dpo):
    subject_import = staged(breach_file, lab_dpo)
    assert claim_subject_import(subject_import_id=subject_import.pk)
    progress.write_progress(subject_import.pk, rows_read=1, rows_validated=1, rows_stored=0)
    tasks.run_subject_import(subject_import.pk)
    subject_import.refresh_from_db()
    assert subject_import.state == State.RUNNING
    assert Path(settings.PRIVATE_STORAGE_DIR, subject_import.stored_path).exists()
    assert DataSubject.objects.count() == 0


def test_an_import_whose_worker_died_is_taken_over_and_completed(breach_file, lab_dpo):
    subject_import = staged(breach_file, lab_dpo)
    assert claim_subject_import(subject_import_id=subject_import.pk)
    progress.write_progress(subject_import.pk, rows_read=1, rows_validated=1, rows_stored=0)
    an_hour_ago = time.time() - 3600
    os.utime(Path(settings.PRIVATE_STORAGE_DIR, progress.progress_name(subject_import.pk)), (an_hour_ago, an_hour_ago))
    assert stale_subject_imports() == [subject_import.pk]
    tasks.run_subject_import(subject_import.pk)
    subject_import.refresh_from_db()
    assert subject_import.state == State.IMPORTED
    assert DataSubject.objects.count() == 3


def test_the_task_takes_only_the_id():
    assert tasks.run_subject_import.__wrapped__.__code__.co_varnames[:1] == ("subject_import_id",)  # type: ignore[attr-defined]


def test_the_sweep_requeues_stale_imports_and_purges_forgotten_uploads(breach_file, lab_dpo, eager_celery):
    forgotten = staged(breach_file, lab_dpo)
    forgotten_file = Path(settings.PRIVATE_STORAGE_DIR, forgotten.stored_path)
    SubjectImport.objects.filter(pk=forgotten.pk).update(state=State.FAILED)
    waiting = staged(breach_file, lab_dpo, count=2)
    SubjectImport.objects.filter(pk=waiting.pk).update(created_at=waiting.created_at.replace(year=2020))
    tasks.sweep_subject_imports()
    forgotten.refresh_from_db()
    waiting.refresh_from_db()
    assert forgotten.stored_path == "" and not forgotten_file.exists()
    assert waiting.state == State.IMPORTED


def test_a_run_thought_dead_and_taken_over_leaves_everything_to_the_new_run(breach_file, lab_dpo):
    from breachdesk.importing.services import process_claimed_import

    subject_import = staged(breach_file, lab_dpo)
    assert claim_subject_import(subject_import_id=subject_import.pk)
    slow_run = SubjectImport.objects.select_related("breach_file").get(pk=subject_import.pk)
    # Another worker took the import over while this one was stalled (its started_at changes).
    SubjectImport.objects.filter(pk=subject_import.pk).update(started_at=slow_run.started_at.replace(year=2030))
    result = process_claimed_import(subject_import=slow_run)
    assert result.state == State.RUNNING
    assert Path(settings.PRIVATE_STORAGE_DIR, subject_import.stored_path).exists(), "the new run still needs the upload"
    assert DataSubject.objects.count() == 0
