"""Uploads waiting for import were recorded by their absolute path; they are now named inside the private storage."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.db import migrations


def to_storage_names(apps, schema_editor):
    SubjectImport = apps.get_model("breachdesk", "SubjectImport")
    root = Path(settings.PRIVATE_STORAGE_DIR).resolve()
    for pk, stored in SubjectImport.objects.exclude(stored_path="").values_list("pk", "stored_path"):
        path = Path(stored)
        if not path.is_absolute():
            continue
        # An upload outside the private directory cannot be reached any more: the import then asks for it again.
        name = path.resolve().relative_to(root).as_posix() if path.resolve().is_relative_to(root) else ""
        SubjectImport.objects.filter(pk=pk).update(stored_path=name)


def to_absolute_paths(apps, schema_editor):
    SubjectImport = apps.get_model("breachdesk", "SubjectImport")
    root = Path(settings.PRIVATE_STORAGE_DIR).resolve()
    for pk, stored in SubjectImport.objects.exclude(stored_path="").values_list("pk", "stored_path"):
        if not Path(stored).is_absolute():
            SubjectImport.objects.filter(pk=pk).update(stored_path=str(root / stored))


class Migration(migrations.Migration):
    dependencies = [("breachdesk", "0017_verbose_names")]

    operations = [migrations.RunPython(to_storage_names, to_absolute_paths)]
