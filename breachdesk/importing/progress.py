"""Live progress of a running import, readable while its transaction is still open.

The import writes its rows in one transaction, so counters saved on the SubjectImport row would stay invisible
until the end. The worker therefore publishes counts (never personal data) in a small file beside the
encrypted upload; its age doubles as the worker's heartbeat.
"""

from __future__ import annotations

import json
import time

from breachdesk import private_storage
from breachdesk.importing.storage import IMPORTS

COUNTERS = ("rows_read", "rows_validated", "rows_stored")


def progress_name(subject_import_id: int) -> str:
    return f"{IMPORTS}/{int(subject_import_id)}.progress.json"


def write_progress(subject_import_id: int, *, rows_read: int, rows_validated: int, rows_stored: int) -> None:
    """Replace the progress file whole (the storage swaps it atomically), so a reader never sees half of it."""
    content = json.dumps({"rows_read": rows_read, "rows_validated": rows_validated, "rows_stored": rows_stored})
    private_storage.save(progress_name(subject_import_id), content.encode("ascii"))


def read_progress(subject_import_id: int) -> dict[str, int] | None:
    missing = private_storage.missing_errors()
    try:
        data = json.loads(private_storage.read_bytes(progress_name(subject_import_id)))
    except ValueError:
        return None
    except missing:
        return None
    if not isinstance(data, dict):
        return None
    return {name: int(data.get(name, 0)) for name in COUNTERS}


def heartbeat_age(subject_import_id: int) -> float | None:
    """Seconds since the worker last reported, or None when it never did (machines keep their clocks in sync)."""
    written_at = private_storage.modified_at(progress_name(subject_import_id))
    return None if written_at is None else time.time() - written_at.timestamp()


def clear_progress(subject_import_id: int) -> None:
    private_storage.delete(progress_name(subject_import_id))
