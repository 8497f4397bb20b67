"""A large upload never reaches the disk in clear, not even while the request is being handled."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import reverse

from breachdesk.importing import services, views
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
