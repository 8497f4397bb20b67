"""Encrypt the uploaded file's name: a name like "patients_VIH_2021.xlsx" is personal data."""

from __future__ import annotations

from typing import Any

from django.db import migrations, models

BATCH = 1000


def encrypt_names(apps: Any, schema_editor: Any) -> None:
    from breachdesk import crypto

    subject_import = apps.get_model("breachdesk", "SubjectImport")
    last_pk = 0
    while True:
        batch = list(subject_import.objects.filter(pk__gt=last_pk).order_by("pk").only("pk", "original_name")[:BATCH])
        if not batch:
            return
        for row in batch:
            row.original_name_token = crypto.encrypt_bytes(row.original_name.encode("utf-8"))
        subject_import.objects.bulk_update(batch, ["original_name_token"])
        last_pk = batch[-1].pk


def decrypt_names(apps: Any, schema_editor: Any) -> None:
    from breachdesk import crypto

    subject_import = apps.get_model("breachdesk", "SubjectImport")
    last_pk = 0
    while True:
        batch = list(
            subject_import.objects.filter(pk__gt=last_pk).order_by("pk").only("pk", "original_name_token")[:BATCH]
        )
        if not batch:
            return
        for row in batch:
            try:
                row.original_name = crypto.decrypt_bytes(row.original_name_token).decode("utf-8")[:255]
            except crypto.DecryptionError:
                row.original_name = ""
        subject_import.objects.bulk_update(batch, ["original_name"])
        last_pk = batch[-1].pk


class Migration(migrations.Migration):
    dependencies = [
        ("breachdesk", "0018_upload_names_in_the_private_storage"),
    ]

    operations = [
        migrations.AddField(
            model_name="subjectimport",
            name="original_name_token",
            field=models.TextField(blank=True, editable=False),
        ),
        migrations.RunPython(encrypt_names, decrypt_names),
        migrations.RemoveField(
            model_name="subjectimport",
            name="original_name",
        ),
    ]
