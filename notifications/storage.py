"""Private files (dossiers, letters, print batches): in the private storage, never a public media URL, served by views only."""

from __future__ import annotations

from django.core.files import File

from breachdesk import private_storage


def store_private(name: str, content: bytes) -> str:
    """Write a file in the private storage, replacing the one of that name whole; return its name."""
    return private_storage.save(name, content)


def exists(name: str) -> bool:
    return private_storage.exists(name)


def open_private(name: str) -> File:
    """Open a stored file to stream it (a FileResponse reads it in chunks)."""
    return private_storage.open_file(name)


def read_private(name: str) -> bytes:
    return private_storage.read_bytes(name)


def delete_private(name: str) -> None:
    private_storage.delete(name)
