"""Upload handling that never writes a patient file to disk in clear, even while the request is still arriving."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler

from breachdesk.importing.storage import CHUNK_SIZE, EncryptedWriter, delete_upload, new_upload_path, open_encrypted


class EncryptedUploadedFile(UploadedFile):
    """An upload kept encrypted on disk; reading decrypts, closing deletes it."""

    def __init__(self, *, path: Any, name: str, content_type: str, size: int, charset: str | None) -> None:
        self.encrypted_path = path
        self.decrypted = open_encrypted(path)
        super().__init__(self.decrypted, name, content_type, size, charset)

    def chunks(self, chunk_size: int | None = None) -> Iterator[bytes]:
        self.decrypted.seek(0)
        while chunk := self.decrypted.read(chunk_size or CHUNK_SIZE):
            yield chunk

    def close(self) -> None:
        try:
            self.decrypted.close()
        finally:
            delete_upload(self.encrypted_path)


class EncryptedTemporaryFileUploadHandler(FileUploadHandler):
    """Take over from the in-memory handler for large files: chunks are encrypted as they arrive."""

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.path = new_upload_path()
        self.writer = EncryptedWriter(self.path)
        self.size = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        self.writer.write_chunk(raw_data)
        self.size += len(raw_data)
        return None

    def file_complete(self, file_size: int) -> UploadedFile:
        self.writer.close()
        return EncryptedUploadedFile(
            path=self.path,
            name=self.file_name or "",
            content_type=self.content_type or "",
            size=self.size,
            charset=self.charset,
        )

    def upload_interrupted(self) -> None:
        if hasattr(self, "writer"):
            self.writer.close()
            delete_upload(self.path)
