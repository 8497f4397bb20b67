"""Dossiers and processor letters: encrypted before they reach the private storage, streamed back decrypted."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.apps import apps
from django.urls import reverse

from breachdesk import keyring
from notifications import storage
from notifications.services import filings


def test_dossiers_and_letters_stored_in_clear_are_encrypted_in_place_and_back(settings):
    module = __import__("notifications.migrations.0014_encrypted_dossiers_and_letters", fromlist=["x"])
    storage.store_private("filings/1/dossier-1-v1.pdf", b"%PDF-1.7 a dossier")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(module, "_names", lambda apps: iter(["filings/1/dossier-1-v1.pdf", "filings/9/gone.pdf"]))
        module.encrypt_documents(apps, None)
        stored = Path(settings.PRIVATE_STORAGE_DIR, "filings/1/dossier-1-v1.pdf").read_bytes()
        assert b"dossier" not in stored
        assert storage.read_decrypted("filings/1/dossier-1-v1.pdf") == b"%PDF-1.7 a dossier"
        module.encrypt_documents(apps, None)
        assert storage.read_decrypted("filings/1/dossier-1-v1.pdf") == b"%PDF-1.7 a dossier", "once only"
        module.decrypt_documents(apps, None)
    assert storage.read_private("filings/1/dossier-1-v1.pdf") == b"%PDF-1.7 a dossier"


def test_key_rotation_rewrites_a_dossier_under_the_new_key(complete_breach_file, lab_dpo, settings):
    filing = filings.prepare_filing(breach_file=complete_breach_file, kind="initial", user=lab_dpo)
    filing = filings.generate_filing_dossier(filing_id=filing.pk)
    assert filing is not None and filing.pdf_path
    before = storage.read_decrypted(filing.pdf_path)
    settings.DATA_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), *settings.DATA_ENCRYPTION_KEYS]
    assert keyring.key_use().counts[2, "CNIL dossier"] == 1
    assert keyring.rotate().files == 1
    settings.DATA_ENCRYPTION_KEYS = settings.DATA_ENCRYPTION_KEYS[:1]
    assert storage.read_decrypted(filing.pdf_path) == before


def test_the_dossier_download_streams_the_decrypted_pdf(client, complete_breach_file, lab_dpo, settings):
    filing = filings.prepare_filing(breach_file=complete_breach_file, kind="initial", user=lab_dpo)
    filing = filings.generate_filing_dossier(filing_id=filing.pk)
    assert filing is not None and filing.pdf_path
    assert not Path(settings.PRIVATE_STORAGE_DIR, filing.pdf_path).read_bytes().startswith(b"%PDF")
    client.force_login(lab_dpo)
    url = reverse(
        "notifications:filing_pdf",
        args=[complete_breach_file.incident.reference, complete_breach_file.controller.code, filing.version],
    )
    response = client.get(url)
    assert response.status_code == 200 and response.streaming
    content = b"".join(response.streaming_content)
    assert content == storage.read_decrypted(filing.pdf_path) and content.startswith(b"%PDF")
    assert int(response["Content-Length"]) == len(content)
