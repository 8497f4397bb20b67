"""Dossiers and processor letters were stored in clear; they are now encrypted before they reach the storage."""

from __future__ import annotations

from django.db import migrations

# Where each kind of document is named: (model, field).
DOCUMENTS = (("Filing", "pdf_path"), ("ProcessorNotice", "letter_path"))


def _names(apps):
    for model_name, field in DOCUMENTS:
        model = apps.get_model("notifications", model_name)
        yield from model.objects.exclude(**{field: ""}).values_list(field, flat=True)


def encrypt_documents(apps, schema_editor):
    from notifications import storage

    for name in _names(apps):
        if storage.exists(name) and (content := storage.read_private(name)).startswith(b"%PDF"):
            storage.store_encrypted(name, content)


def decrypt_documents(apps, schema_editor):
    from notifications import storage

    for name in _names(apps):
        if storage.exists(name) and not storage.read_private(name).startswith(b"%PDF"):
            storage.store_private(name, storage.read_decrypted(name))


class Migration(migrations.Migration):
    dependencies = [("notifications", "0013_verbose_names")]

    operations = [migrations.RunPython(encrypt_documents, decrypt_documents)]
