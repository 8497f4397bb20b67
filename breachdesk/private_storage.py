"""The private storage: files never served publicly (uploads, dossiers, letters, print batches), by name.

It is `storages["private"]` (settings STORAGES): a directory (local or a shared NFS mount) or an S3-compatible
bucket. Web and worker machines share it, so code names files relative to it and never builds a local path.
The application encrypts personal data before it gets here; the store's own encryption is only a second layer.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import IO, Any

from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.utils._os import safe_makedirs


def private_storage() -> Storage:
    return storages["private"]


def missing_errors() -> tuple[type[BaseException], ...]:
    # An S3 store answers a missing object with botocore's ClientError where a directory raises OSError.
    try:
        from botocore.exceptions import ClientError
    except ImportError:
        return (OSError,)
    return (OSError, ClientError)


class PrivateFileSystemStorage(FileSystemStorage):
    """A directory whose files only their owner reads, where saving a name again replaces the file atomically."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("file_permissions_mode", 0o600)
        kwargs.setdefault("directory_permissions_mode", 0o700)
        kwargs["allow_overwrite"] = True
        super().__init__(**kwargs)

    def _save(self, name: str, content: File) -> str:
        # A reader that opened the old file (an import, a download) keeps reading it whole: write beside, then rename.
        full_path = self.path(name)
        directory = os.path.dirname(full_path)
        safe_makedirs(directory, self.directory_permissions_mode or 0o700, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=directory, prefix=".tmp-")
        try:
            with os.fdopen(descriptor, "wb") as handle:
                for chunk in content.chunks():
                    handle.write(chunk)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(temporary, self.file_permissions_mode or 0o600)
            os.replace(temporary, full_path)
        except BaseException:
            if os.path.exists(temporary):
                os.unlink(temporary)
            raise
        return str(name).replace("\\", "/")


def save(name: str, content: bytes | IO[bytes]) -> str:
    """Write a file under its name, replacing any file of that name; bytes or a binary file streamed in chunks."""
    stored: File = ContentFile(content) if isinstance(content, bytes) else File(content)
    return private_storage().save(name, stored)


def open_file(name: str) -> File:
    """Open a stored file for reading (FileNotFoundError when it is missing)."""
    return private_storage().open(name, "rb")


def read_bytes(name: str) -> bytes:
    with open_file(name) as handle:
        return handle.read()


def exists(name: str) -> bool:
    return bool(name) and private_storage().exists(name)


def delete(name: str) -> None:
    """Remove a stored file; missing is fine (a second run already removed it)."""
    if name:
        private_storage().delete(name)


def modified_at(name: str) -> datetime | None:
    """When the file was last written, or None when it does not exist."""
    try:
        return private_storage().get_modified_time(name)
    except missing_errors():
        return None


def local_path(name: str) -> str | None:
    """The file's path when the storage is a directory (for a person at a terminal), else None."""
    try:
        return private_storage().path(name)
    except NotImplementedError:
        return None


def whole_file_tokens(name: str) -> Iterator[bytes]:
    """Yield the one Fernet token a file encrypted whole holds (key rotation and its count)."""
    yield read_bytes(name)


def rewrite_whole_file(name: str, transform: Callable[[bytes], bytes]) -> None:
    """Replace a file encrypted whole with its token passed through transform (key rotation)."""
    save(name, transform(read_bytes(name)))
