"""All or nothing on PostgreSQL, where the import writes with COPY inside one transaction."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection

from breachdesk.importing import duplicates, postgres
from breachdesk.importing.importer import Importer
from breachdesk.importing.services import import_subjects
from breachdesk.models import BreachFile, CrossControllerMatch, DataSubject, SubjectImport
from tests.breachdesk.importing.conftest import report_of, rows, subject_row, write_csv

State = SubjectImport.State
pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]


def snapshot(breach_file: BreachFile) -> tuple[object, ...]:
    breach_file.refresh_from_db()
    return (
        DataSubject.objects.count(),
        breach_file.approximate_persons,
        breach_file.approximate_records,
        breach_file.data_categories,
    )


def test_a_failure_at_row_n_leaves_zero_rows_after_earlier_batches_were_copied(
    postgresql_only, breach_file, tmp_path, monkeypatch
):
    monkeypatch.setattr(settings, "IMPORT_BATCH_SIZE", 50)
    copied: list[int] = []
    original = Importer._copy

    def counting_copy(self, batch):  # type: ignore[no-untyped-def]
        batch = list(batch)
        copied.append(len(batch))
        original(self, batch)

    monkeypatch.setattr(Importer, "_copy", counting_copy)
    data = rows(300)
    data[236] = subject_row(236, nir="295109912611199")
    before = snapshot(breach_file)
    subject_import = import_subjects(breach_file=breach_file, path=write_csv(tmp_path / "lab.csv", data))
    assert connection.vendor == "postgresql"
    assert sum(copied) == 200, "four batches reached PostgreSQL before the bad row"
    assert subject_import.state == State.REJECTED
    assert subject_import.rows_stored == 0
    assert snapshot(breach_file) == before
    assert DataSubject.objects.count() == 0
    assert [(entry["line"], entry["column"], entry["code"]) for entry in subject_import.findings] == [
        (238, "nir", "nir_key")
    ]


def test_an_unexpected_error_mid_import_rolls_everything_back(postgresql_only, breach_file, tmp_path, monkeypatch):
    monkeypatch.setattr(settings, "IMPORT_BATCH_SIZE", 10)
    calls = {"count": 0}
    original = Importer._copy

    def failing_copy(self, batch):  # type: ignore[no-untyped-def]
        calls["count"] += 1
        if calls["count"] == 3:
            raise RuntimeError("disk full: Le Floc'h 295109912611193")
        original(self, batch)

    monkeypatch.setattr(Importer, "_copy", failing_copy)
    subject_import = import_subjects(breach_file=breach_file, path=write_csv(tmp_path / "lab.csv", rows(50)))
    assert subject_import.state == State.FAILED
    assert DataSubject.objects.count() == 0
    assert "295109912611193" not in subject_import.summary_text


def test_copy_stores_rows_the_model_reads_back(postgresql_only, breach_file, tmp_path):
    data = rows(120)
    data[5] = subject_row(5, nir="", email="", birth_date="")
    subject_import = import_subjects(breach_file=breach_file, path=write_csv(tmp_path / "lab.csv", data))
    assert subject_import.state == State.IMPORTED, subject_import.findings
    subjects = DataSubject.objects.filter(breach_file=breach_file).order_by("pk")
    assert subjects.count() == 120
    first = subjects.first()
    assert first is not None
    assert first.personal.patient_ref == data[0]["patient_ref"]
    assert first.exposures == data[0]["exposed"].split("|")
    assert first.created_at is not None and first.import_batch_id == subject_import.pk
    breach_file.refresh_from_db()
    assert breach_file.approximate_records == 120
    bare = DataSubject.objects.get(breach_file=breach_file, nir_index__isnull=True)
    assert bare.email_index is None and bare.identity_index is None and bare.has_email is False
    assert bare.personal.patient_ref == data[5]["patient_ref"]


def test_the_database_refuses_a_subject_twice_even_if_a_concurrent_import_slipped_past_the_checks(
    postgresql_only, breach_file, tmp_path, monkeypatch
):
    first = write_csv(tmp_path / "a.csv", rows(5))
    assert import_subjects(breach_file=breach_file, path=first).state == State.IMPORTED
    # Pretend the breach file was empty when the second import looked, as a concurrent import would see it.
    monkeypatch.setattr(Importer, "prepare", lambda self: None)
    second = write_csv(tmp_path / "b.csv", rows(5), delimiter=",")
    subject_import = import_subjects(breach_file=breach_file, path=second)
    assert subject_import.state == State.REJECTED
    assert [entry["code"] for entry in subject_import.findings] == ["concurrent_import"]
    assert DataSubject.objects.count() == 5


def _import_in_thread(breach_file: BreachFile, path, outcome: dict[str, SubjectImport], name: str):  # type: ignore[no-untyped-def]
    import threading

    from django.db import connections

    def run() -> None:
        try:
            outcome[name] = import_subjects(breach_file=breach_file, path=path)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_an_import_waits_for_another_import_of_the_same_breach_file_and_keeps_beating(
    postgresql_only, breach_file, tmp_path, monkeypatch
):
    from django.db import connections

    from breachdesk.importing import progress

    monkeypatch.setattr(settings, "IMPORT_LOCK_POLL_SECONDS", 0.05)
    holder = connections.create_connection("default")
    holder.connect()
    with holder.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s, %s)", [postgres._ADVISORY_LOCK_NAMESPACE, breach_file.pk])
    outcome: dict[str, SubjectImport] = {}
    worker = _import_in_thread(breach_file, write_csv(tmp_path / "lab.csv", rows(3)), outcome, "waiting")
    try:
        waiting = None
        for _ in range(100):
            waiting = SubjectImport.objects.filter(breach_file=breach_file, state=State.RUNNING).first()
            if waiting is not None and progress.read_progress(waiting.pk) is not None:
                break
            worker.join(0.05)
        assert waiting is not None
        # Well past its first report, the waiting import still reports: no sweep would take it for dead.
        worker.join(1.5)
        age = progress.heartbeat_age(waiting.pk)
        assert age is not None and age < 0.5
        assert DataSubject.objects.count() == 0, "it waits for the lock"
    finally:
        with holder.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [postgres._ADVISORY_LOCK_NAMESPACE, breach_file.pk])
        holder.close()
        worker.join(30)
    assert outcome["waiting"].state == State.IMPORTED
    assert DataSubject.objects.count() == 3


def _same_person_lines(subject_import: SubjectImport) -> list[str]:
    """The lines of the import whose NIR was recorded in another lab's breach file (never in its report)."""
    lines = CrossControllerMatch.objects.filter(subject__import_batch_id=subject_import.pk, basis="nir").values_list(
        "subject__source_line", flat=True
    )
    return sorted(str(line) for line in lines)


def _two_labs_sharing_two_people(tmp_path):  # type: ignore[no-untyped-def]
    first = rows(4)
    # The second lab's first two patients are the first lab's first two, under its own references.
    second = [{**row, "patient_ref": f"B-{number}"} for number, row in enumerate(first[:2])] + rows(2, start=10)
    return write_csv(tmp_path / "lab-a.csv", first), write_csv(tmp_path / "lab-b.csv", second)


def test_two_labs_importing_at_once_still_see_each_other_the_later_records_the_same_people(
    postgresql_only, breach_file, other_breach_file, tmp_path, monkeypatch
):
    """Lab A has stored its rows but not committed when lab B imports and commits; A then still sees B."""
    import threading

    lab_a, lab_b = _two_labs_sharing_two_people(tmp_path)
    a_stored, b_done = threading.Event(), threading.Event()
    original = duplicates.record_same_people_elsewhere

    def pausing(self, *, heartbeat):  # type: ignore[no-untyped-def]
        if self.breach_file.pk == breach_file.pk:
            a_stored.set()
            assert b_done.wait(30)
        original(self, heartbeat=heartbeat)

    monkeypatch.setattr(duplicates, "record_same_people_elsewhere", pausing)
    outcome: dict[str, SubjectImport] = {}
    thread_a = _import_in_thread(breach_file, lab_a, outcome, "a")
    try:
        assert a_stored.wait(30)
        b = import_subjects(breach_file=other_breach_file, path=lab_b)
    finally:
        b_done.set()
        thread_a.join(30)
    a = outcome["a"]
    assert (a.state, b.state) == (State.IMPORTED, State.IMPORTED)
    # B looked while A's rows were uncommitted: A, looking last, names both shared patients (lines 2 and 3).
    assert _same_person_lines(b) == []
    assert _same_person_lines(a) == ["2", "3"]
    assert a.duplicates == 0 and "LAB-" not in str(report_of(a))


def test_the_look_at_the_other_labs_waits_for_the_import_ahead_of_it_to_commit(
    postgresql_only, breach_file, other_breach_file, tmp_path, monkeypatch
):
    """Lab A has looked and holds the incident's lock until it commits; B must wait for it, then see A."""
    import threading

    lab_a, lab_b = _two_labs_sharing_two_people(tmp_path)
    a_looked, release_a = threading.Event(), threading.Event()
    original = duplicates.record_same_people_elsewhere

    def holding(self, *, heartbeat):  # type: ignore[no-untyped-def]
        original(self, heartbeat=heartbeat)
        if self.breach_file.pk == breach_file.pk:
            a_looked.set()
            assert release_a.wait(30)

    monkeypatch.setattr(duplicates, "record_same_people_elsewhere", holding)
    outcome: dict[str, SubjectImport] = {}
    thread_a = _import_in_thread(breach_file, lab_a, outcome, "a")
    try:
        assert a_looked.wait(30)
        thread_b = _import_in_thread(other_breach_file, lab_b, outcome, "b")
        thread_b.join(1.0)
        assert thread_b.is_alive(), "B waits for A's commit before looking at the other labs"
    finally:
        release_a.set()
        thread_a.join(30)
    thread_b.join(30)
    a, b = outcome["a"], outcome["b"]
    assert (a.state, b.state) == (State.IMPORTED, State.IMPORTED)
    assert _same_person_lines(a) == []
    assert _same_person_lines(b) == ["2", "3"]
    assert "LAB-" not in str(report_of(b))
