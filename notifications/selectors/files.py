"""Reads of the encrypted files the notifications keep in the private storage."""

from __future__ import annotations

from notifications import storage
from notifications.models import PrintBatch


def rendered_batch_files() -> list[tuple[int, str]]:
    """The PDFs of print batches rendered and not yet purged (a batch being rendered is still written)."""
    rows = (
        PrintBatch.objects.exclude(file_path="")
        .exclude(state__in=[PrintBatch.State.RENDERING, PrintBatch.State.PURGED])
        .order_by("pk")
        .values_list("pk", "file_path")
    )
    return [(pk, name) for pk, name in rows if storage.exists(name)]
