"""A large upload never reaches the disk in clear, not even while the request is being handled."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import reverse

from breachdesk.importing import services, storage, views
from breachdesk.importing.upload import EncryptedUploadedFile
from breachdesk.models import SubjectImport

pytestmark = pytest.mark.django_db

HEADER = "patient_ref;last_name;first_name;postcode;city;address_1;exposed\r\n"
MARKER = b"Zyxwvutsrq"


def files_holding_the_marker(*directories: Path) -> list[Path]:
    return [
        path
        for directory in directories
        if directory.exists()
        for path in directory.rglob("*")
        if path.is_file() and MARKER in path.read_bytes()
    ]


def test_a_large_upload_is_encrypted_as_it_arrives_and_nothing_stays_in_clear(
    client, lab_dpo, breach_file, settings, tmp_path, monkeypatch
):
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024
    temp_dir = tmp_path / "django-temp"
    temp_dir.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(temp_dir)
    source = tmp_path / "source" / "patients.csv"
    source.parent.mkdir()
    rows = "".join(f"P{n:06d};Zyxwvutsrq;Marie;35000;Rennes;1 rue Pasteur;identity\r\n" for n in range(200))
    source.write_bytes((HEADER + rows).encode())
    observed: dict[str, object] = {}
    real_stage = services.stage_subject_import

    def spying_stage(**kwargs):
        # While the request is being handled: what is on disk now?
        observed["upload_type"] = type(kwargs["upload"])
        observed["in_clear"] = files_holding_the_marker(temp_dir, Path(settings.PRIVATE_STORAGE_DIR))
        return real_stage(**kwargs)

    monkeypatch.setattr(views, "stage_subject_import", spying_stage, raising=False)
    monkeypatch.setattr(services, "stage_subject_import", spying_stage)
    client.force_login(lab_dpo)
    url = reverse("subject_import", args=[breach_file.incident.reference, breach_file.controller.code])
    with source.open("rb") as handle:
        client.post(url, {"file": handle})
    assert observed["upload_type"] is EncryptedUploadedFile
    assert observed["in_clear"] == []
    assert files_holding_the_marker(temp_dir, Path(settings.PRIVATE_STORAGE_DIR)) == []
    assert SubjectImport.objects.filter(breach_file=breach_file).exists()


def _post_file(client, breach_file, size: int):
    from django.core.files.uploadedfile import SimpleUploadedFile

    url = reverse("subject_import", args=[breach_file.incident.reference, breach_file.controller.code])
    return client.post(url, {"file": SimpleUploadedFile("patients.csv", (HEADER.encode() + b"x" * size))})


@pytest.mark.parametrize("size", [100 * 1024, 1024 * 1024])
def test_an_upload_past_the_limit_is_stopped_as_it_streams_and_nothing_is_kept(
    client, lab_dpo, breach_file, settings, monkeypatch, size
):
    # 100 KB passes the declared-length check and is stopped by the count; 1 MB is stopped before a byte is kept.
    settings.IMPORT_MAX_BYTES = 64 * 1024  # shown as 0 MB
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024
    written: list[int] = []
    real_write = storage.EncryptedWriter.write_chunk
    monkeypatch.setattr(
        storage.EncryptedWriter,
        "write_chunk",
        lambda self, chunk: (written.append(len(chunk)), real_write(self, chunk)),
    )
    client.force_login(lab_dpo)
    response = _post_file(client, breach_file, size)
    assert response.status_code == 200
    assert "la limite est de 0 Mo" in response.content.decode()
    assert response.context["form"].errors.as_data()["file"][0].code == "too_large"
    assert sum(written) <= settings.IMPORT_MAX_BYTES
    assert not SubjectImport.objects.exists()
    imports = Path(settings.PRIVATE_STORAGE_DIR, storage.IMPORTS)
    assert not imports.exists() or list(imports.iterdir()) == []
