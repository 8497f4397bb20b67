"""Uploaded files wait encrypted, in chunks, so memory stays bounded whatever their size."""

from __future__ import annotations

import bisect
import io
import os
import struct
import tempfile
import uuid
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from django.conf import settings

from breachdesk import crypto

CHUNK_SIZE = 1024 * 1024
# Each record: plaintext length, token length, then the Fernet token of the chunk.
_HEADER = struct.Struct(">II")


def imports_dir() -> Path:
    directory = Path(settings.PRIVATE_STORAGE_DIR) / "imports"
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    return directory


def new_upload_path() -> Path:
    """Return a fresh path under the private storage; its name says nothing about the file."""
    return imports_dir() / f"{uuid.uuid4().hex}.enc"


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
    """Write plaintext chunks as authenticated encrypted records."""

    def __init__(self, path: Path) -> None:
        self.path = path
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        self._file = os.fdopen(descriptor, "wb")

    def write_chunk(self, chunk: bytes) -> None:
        token = crypto.cipher().encrypt(chunk)
        self._file.write(_HEADER.pack(len(chunk), len(token)))
        self._file.write(token)

    def close(self) -> None:
        self._file.close()


class EncryptedFile(io.RawIOBase):
    """A seekable read-only view of an encrypted upload, decrypting one chunk at a time."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self._file = open(path, "rb")  # noqa: SIM115 - closed by close()
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


def _records(handle: io.BufferedIOBase) -> Iterator[tuple[int, bytes]]:
    while header := handle.read(_HEADER.size):
        if len(header) != _HEADER.size:
            raise crypto.DecryptionError("the stored upload is truncated")
        plain_length, token_length = _HEADER.unpack(header)
        token = handle.read(token_length)
        if len(token) != token_length:
            raise crypto.DecryptionError("the stored upload is truncated")
        yield plain_length, token


def upload_tokens(path: Path) -> Iterator[bytes]:
    """Yield the Fernet token of each chunk of a stored upload (key rotation and its count)."""
    with open(path, "rb") as handle:
        for _plain_length, token in _records(handle):
            yield token


def rewrite_upload(path: Path, transform: Callable[[bytes], bytes]) -> None:
    """Replace a stored upload atomically with each chunk's token passed through transform (key rotation).

    A reader that opened the file before keeps reading the old one.
    """
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(descriptor, "wb") as out, open(path, "rb") as handle:
            for plain_length, token in _records(handle):
                rotated = transform(token)
                out.write(_HEADER.pack(plain_length, len(rotated)))
                out.write(rotated)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def open_encrypted(path: Path) -> io.BufferedReader:
    return io.BufferedReader(EncryptedFile(path), buffer_size=64 * 1024)


def delete_upload(path: str | Path) -> None:
    """Remove a stored upload; missing is fine (a second run already removed it)."""
    if path:
        Path(path).unlink(missing_ok=True)
