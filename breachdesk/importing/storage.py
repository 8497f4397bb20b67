"""Uploaded files wait encrypted, in chunks, so memory stays bounded whatever their size."""

from __future__ import annotations

import bisect
import io
import struct
import tempfile
import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import IO

from django.conf import settings

from breachdesk import crypto, private_storage

CHUNK_SIZE = 1024 * 1024
# Each record: plaintext length, token length, then the Fernet token of the chunk.
_HEADER = struct.Struct(">II")


IMPORTS = "imports"


def new_upload_name() -> str:
    """Return a fresh name in the private storage; it says nothing about the file."""
    return f"{IMPORTS}/{uuid.uuid4().hex}.enc"


def rechunk(chunks: Iterable[bytes], size: int = CHUNK_SIZE) -> Iterable[bytes]:
    """Yield the same bytes in chunks of exactly ``size`` bytes (the last may be shorter)."""
    pending = bytearray()
    for chunk in chunks:
        pending += chunk
        while len(pending) >= size:
            yield bytes(pending[:size])
            del pending[:size]
    if pending:
        yield bytes(pending)


class EncryptedWriter:
    """Write plaintext chunks as authenticated encrypted records, in a local temporary file until saved.

    Only ciphertext touches the local disk; the private storage (possibly a bucket) receives the finished file.
    """

    def __init__(self) -> None:
        # Where Django keeps large uploads; removed by the system as soon as it is closed.
        self.file: IO[bytes] = tempfile.TemporaryFile(dir=settings.FILE_UPLOAD_TEMP_DIR)  # noqa: SIM115 - closed by save() or discard()

    def write_chunk(self, chunk: bytes) -> None:
        token = crypto.cipher().encrypt(chunk)
        self.file.write(_HEADER.pack(len(chunk), len(token)))
        self.file.write(token)

    def save(self, name: str) -> str:
        """Copy the records into the private storage under name, in chunks; return the name stored."""
        try:
            self.file.seek(0)
            return private_storage.save(name, self.file)
        finally:
            self.file.close()

    def discard(self) -> None:
        self.file.close()


class EncryptedFile(io.RawIOBase):
    """A seekable read-only view of an encrypted upload, decrypting one chunk at a time; closing closes handle."""

    def __init__(self, handle: IO[bytes]) -> None:
        super().__init__()
        self._file = handle
        self._records: list[tuple[int, int, int, int]] = []  # plaintext start, plaintext length, offset, token length
        start = 0
        while True:
            header = self._file.read(_HEADER.size)
            if not header:
                break
            if len(header) != _HEADER.size:
                raise crypto.DecryptionError("the stored upload is truncated")
            plain_length, token_length = _HEADER.unpack(header)
            offset = self._file.tell()
            self._records.append((start, plain_length, offset, token_length))
            start += plain_length
            self._file.seek(token_length, io.SEEK_CUR)
        self._size = start
        self._starts = [record[0] for record in self._records]
        self._position = 0
        self._cached_index = -1
        self._cached = b""

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_SET:
            self._position = offset
        elif whence == io.SEEK_CUR:
            self._position += offset
        else:
            self._position = self._size + offset
        self._position = max(self._position, 0)
        return self._position

    def _chunk(self, index: int) -> bytes:
        if index != self._cached_index:
            _start, plain_length, offset, token_length = self._records[index]
            self._file.seek(offset)
            plaintext = crypto.decrypt_bytes(self._file.read(token_length))
            if len(plaintext) != plain_length:
                raise crypto.DecryptionError("the stored upload is inconsistent")
            self._cached_index, self._cached = index, plaintext
        return self._cached

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if self._position >= self._size or not self._records:
            return 0
        index = bisect.bisect_right(self._starts, self._position) - 1
        start = self._records[index][0]
        chunk = self._chunk(index)
        piece = chunk[self._position - start : self._position - start + len(buffer)]
        buffer[: len(piece)] = piece
        self._position += len(piece)
        return len(piece)

    def close(self) -> None:
        if not self.closed:
            self._file.close()
            self._cached = b""
        super().close()


def _records(handle: IO[bytes]) -> Iterator[tuple[int, bytes]]:
    while header := handle.read(_HEADER.size):
        if len(header) != _HEADER.size:
            raise crypto.DecryptionError("the stored upload is truncated")
        plain_length, token_length = _HEADER.unpack(header)
        token = handle.read(token_length)
        if len(token) != token_length:
            raise crypto.DecryptionError("the stored upload is truncated")
        yield plain_length, token


def upload_tokens(name: str) -> Iterator[bytes]:
    """Yield the Fernet token of each chunk of a stored upload (key rotation and its count)."""
    with private_storage.open_file(name) as handle:
        for _plain_length, token in _records(handle):
            yield token


def rewrite_upload(name: str, transform: Callable[[bytes], bytes]) -> None:
    """Replace a stored upload with each chunk's token passed through transform (key rotation).

    The storage replaces the file whole: a reader that opened it before keeps reading the old one.
    """
    with tempfile.TemporaryFile(dir=settings.FILE_UPLOAD_TEMP_DIR) as out, private_storage.open_file(name) as handle:
        for plain_length, token in _records(handle):
            rotated = transform(token)
            out.write(_HEADER.pack(plain_length, len(rotated)))
            out.write(rotated)
        out.seek(0)
        private_storage.save(name, out)


def open_encrypted(name: str) -> io.BufferedReader:
    """Read a stored upload decrypted, from the private storage.

    A directory storage opens the file itself; django-storages' S3 storage downloads the object into a spooled
    temporary file (to disk above its max_memory_size) on the first read, still encrypted.
    """
    return open_encrypted_file(private_storage.open_file(name))


def open_encrypted_file(handle: IO[bytes]) -> io.BufferedReader:
    return io.BufferedReader(EncryptedFile(handle), buffer_size=64 * 1024)


def delete_upload(name: str) -> None:
    """Remove a stored upload; missing is fine (a second run already removed it)."""
    private_storage.delete(name)
