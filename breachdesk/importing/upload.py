"""Upload handling that never writes a patient file to disk in clear, even while the request is still arriving.

While the request arrives the file is encrypted into a local temporary file of the web process; staging the
import then copies it into the private storage, which the workers read.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest

from breachdesk.importing.storage import CHUNK_SIZE, EncryptedWriter, open_encrypted_file

# What a multipart body adds to its file (boundaries, headers, the other fields of the form).
_MULTIPART_ALLOWANCE = 64 * 1024
_REFUSED = "_breachdesk_upload_refused"


def upload_refused(request: HttpRequest) -> int | None:
    """The size (at least) of a file stopped as it arrived because it passed the import size limit, or None."""
    size = getattr(request, _REFUSED, None)
    return size if isinstance(size, int) else None


class SizeLimitedUploadHandler(FileUploadHandler):
    """Stop an upload as soon as it passes BREACHDESK_IMPORT_MAX_BYTES, before the rest reaches the disk.

    First of the handlers: it refuses a body whose declared length is already too large before a byte of the file is
    kept, and counts the bytes of each file as they stream. What the other handlers stored so far is discarded;
    the rest of the body is read and dropped, so the browser gets the page that says why.
    """

    def handle_raw_input(
        self, input_data: Any, META: Any, content_length: int, boundary: Any, encoding: str | None = None
    ) -> None:
        self.declared_length = content_length or 0

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0
        if self.declared_length > int(settings.IMPORT_MAX_BYTES) + _MULTIPART_ALLOWANCE:
            self._stop()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > int(settings.IMPORT_MAX_BYTES):
            self._stop()
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None

    def _stop(self) -> None:
        if self.request is not None:
            setattr(self.request, _REFUSED, max(self.received, self.declared_length - _MULTIPART_ALLOWANCE))
            for handler in getattr(self.request, "upload_handlers", []):
                if handler is not self:
                    handler.upload_interrupted()
        raise StopUpload(connection_reset=False)


class EncryptedUploadedFile(UploadedFile):
    """An upload kept encrypted in a temporary file; reading decrypts, closing deletes it."""

    def __init__(
        self, *, writer: EncryptedWriter, name: str, content_type: str, size: int, charset: str | None
    ) -> None:
        writer.file.seek(0)
        self.decrypted = open_encrypted_file(writer.file)
        super().__init__(self.decrypted, name, content_type, size, charset)

    def chunks(self, chunk_size: int | None = None) -> Iterator[bytes]:
        self.decrypted.seek(0)
        while chunk := self.decrypted.read(chunk_size or CHUNK_SIZE):
            yield chunk

    def close(self) -> None:
        self.decrypted.close()


class EncryptedTemporaryFileUploadHandler(FileUploadHandler):
    """Take over from the in-memory handler for large files: chunks are encrypted as they arrive."""

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.writer = EncryptedWriter()
        self.size = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        self.writer.write_chunk(raw_data)
        self.size += len(raw_data)
        return None

    def file_complete(self, file_size: int) -> UploadedFile:
        self.writer.file.flush()
        return EncryptedUploadedFile(
            writer=self.writer,
            name=self.file_name or "",
            content_type=self.content_type or "",
            size=self.size,
            charset=self.charset,
        )

    def upload_interrupted(self) -> None:
        if hasattr(self, "writer"):
            self.writer.discard()
