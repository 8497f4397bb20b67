"""Live progress of a running import, readable while its transaction is still open.

The import writes its rows in one transaction, so counters saved on the SubjectImport row would stay invisible
until the end. The worker therefore publishes counts (never personal data) in a small file beside the
encrypted upload; its age doubles as the worker's heartbeat.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from breachdesk.importing.storage import imports_dir

COUNTERS = ("rows_read", "rows_validated", "rows_stored")


def progress_path(subject_import_id: int) -> Path:
    return imports_dir() / f"{int(subject_import_id)}.progress.json"


def write_progress(subject_import_id: int, *, rows_read: int, rows_validated: int, rows_stored: int) -> None:
    """Replace the progress file atomically, so a reader never sees half of it."""
    path = progress_path(subject_import_id)
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_text(
        json.dumps({"rows_read": rows_read, "rows_validated": rows_validated, "rows_stored": rows_stored})
    )
    os.replace(temporary, path)


def read_progress(subject_import_id: int) -> dict[str, int] | None:
    try:
        data = json.loads(progress_path(subject_import_id).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    return {name: int(data.get(name, 0)) for name in COUNTERS}


def heartbeat_age(subject_import_id: int) -> float | None:
    """Seconds since the worker last reported, or None when it never did."""
    try:
        return time.time() - progress_path(subject_import_id).stat().st_mtime
    except OSError:
        return None


def clear_progress(subject_import_id: int) -> None:
    progress_path(subject_import_id).unlink(missing_ok=True)
