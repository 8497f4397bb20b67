"""Private files (dossiers, letters, print batches): in the private storage, never a public media URL, served by views only.

Dossiers and processor letters are stored in the chunked encrypted format of uploads, so a download decrypts as it
streams; print batches are one Fernet token each (encrypted by the mailroom before they get here).
"""

from __future__ import annotations

import io

from django.core.files import File

from breachdesk import private_storage
from breachdesk.importing.storage import CHUNK_SIZE, EncryptedWriter, open_encrypted, rechunk


def store_private(name: str, content: bytes) -> str:
    """Write a file already encrypted by the caller, replacing the one of that name whole; return its name."""
    return private_storage.save(name, content)


def store_encrypted(name: str, content: bytes) -> str:
    """Encrypt a document chunk by chunk and store it, replacing the one of that name whole; return its name."""
    writer = EncryptedWriter()
    try:
        for chunk in rechunk([content], CHUNK_SIZE):
            writer.write_chunk(chunk)
    except BaseException:
        writer.discard()
        raise
    return writer.save(name)


def exists(name: str) -> bool:
    return private_storage.exists(name)


def open_private(name: str) -> File:
    return private_storage.open_file(name)


def read_private(name: str) -> bytes:
    return private_storage.read_bytes(name)


def open_decrypted(name: str) -> io.BufferedReader:
    """Open a document stored by store_encrypted, decrypting as it is read (a FileResponse streams it)."""
    return open_encrypted(name)


def read_decrypted(name: str) -> bytes:
    with open_decrypted(name) as stream:
        return stream.read()


def delete_private(name: str) -> None:
    private_storage.delete(name)
