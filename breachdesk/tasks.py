"""Celery tasks of the core app: ids in, a service call, nothing else."""

from __future__ import annotations

from breachdesk.celery import app
from breachdesk.importing import selectors, services


@app.task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def run_subject_import(subject_import_id: int) -> None:
    """Import one staged file; a second run finds it claimed or finished and does nothing."""
    services.process_subject_import(subject_import_id=subject_import_id)


@app.task(ignore_result=True)
def sweep_subject_imports() -> None:
    """Beat: re-queue stale imports and delete uploads left by imports that ended."""
    for subject_import_id in selectors.stale_subject_imports():
        run_subject_import.delay(subject_import_id)
    services.purge_finished_uploads()
