"""Reads of the encrypted files the notifications keep in the private storage."""

from __future__ import annotations

from notifications import storage
from notifications.models import Filing, PrintBatch, ProcessorNotice


def rendered_batch_files() -> list[tuple[int, str]]:
    """The PDFs of print batches rendered and not yet purged (a batch being rendered is still written)."""
    rows = (
        PrintBatch.objects.exclude(file_path="")
        .exclude(state__in=[PrintBatch.State.RENDERING, PrintBatch.State.PURGED])
        .order_by("pk")
        .values_list("pk", "file_path")
    )
    return [(pk, name) for pk, name in rows if storage.exists(name)]


def dossier_files() -> list[tuple[int, str]]:
    """The rendered dossiers of CNIL filings (a dossier is recorded once it is written)."""
    rows = Filing.objects.exclude(pdf_path="").order_by("pk").values_list("pk", "pdf_path")
    return [(pk, name) for pk, name in rows if storage.exists(name)]


def processor_letter_files() -> list[tuple[int, str]]:
    """The rendered letters of processor notices (a letter is recorded once it is written)."""
    rows = ProcessorNotice.objects.exclude(letter_path="").order_by("pk").values_list("pk", "letter_path")
    return [(pk, name) for pk, name in rows if storage.exists(name)]
