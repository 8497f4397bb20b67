"""What an import leaves in clear at rest: the database read column by column holds no file name of the upload."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from breachdesk import keyring
from breachdesk.importing.services import import_subjects
from breachdesk.models import SubjectImport
from tests.breachdesk.importing.conftest import rows, write_csv

CANARY = "patients_VIH_Kerguelen_2021"


def database_text() -> str:
    """Every text column of every table, read with plain SQL as a copy of the database would hold it."""
    values: list[str] = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            columns = [
                column.name
                for column in connection.introspection.get_table_description(cursor, table)
                if connection.introspection.get_field_type(column.type_code, column)
                in {"TextField", "CharField", "JSONField"}
            ]
            if not columns:
                continue
            quoted = ", ".join(connection.ops.quote_name(name) for name in columns)
            cursor.execute(f"SELECT {quoted} FROM {connection.ops.quote_name(table)}")
            values.extend(str(value) for row in cursor.fetchall() for value in row if value is not None)
    return "\n".join(values)


@pytest.mark.django_db
def test_the_uploaded_file_name_is_not_in_the_database_but_shown_to_the_lab_dpo_only(
    breach_file, lab_dpo, other_lab_dpo, tmp_path
):
    path = write_csv(tmp_path / f"{CANARY}.csv", rows(3))
    subject_import = import_subjects(breach_file=breach_file, path=path, user=lab_dpo)
    assert subject_import.state == SubjectImport.State.IMPORTED, subject_import.findings

    dump = database_text()
    assert CANARY.lower() not in dump.lower()
    assert SubjectImport.objects.get(pk=subject_import.pk).original_name == f"{CANARY}.csv"

    arguments = [breach_file.incident.reference, breach_file.controller.code]
    client = Client()
    client.force_login(lab_dpo)
    assert f"{CANARY}.csv" in client.get(reverse("subject_import", args=arguments)).content.decode()
    detail = client.get(reverse("subject_import_detail", args=[*arguments, subject_import.pk]))
    assert f"{CANARY}.csv" in detail.content.decode()
    client.force_login(other_lab_dpo)
    assert client.get(reverse("subject_import", args=arguments)).status_code == 404


@pytest.mark.django_db
def test_key_rotation_covers_the_file_names(breach_file, tmp_path):
    import_subjects(breach_file=breach_file, path=write_csv(tmp_path / f"{CANARY}.csv", rows(1)))
    use = keyring.key_use()
    assert use.counts[1, "breachdesk_subjectimport.original_name_token"] == 1


@pytest.mark.django_db(transaction=True)
def test_the_migration_encrypts_the_file_names_of_earlier_imports():
    executor = MigrationExecutor(connection)
    executor.migrate([("breachdesk", "0017_verbose_names")])
    old = executor.loader.project_state([("breachdesk", "0017_verbose_names")]).apps
    organisation = old.get_model("breachdesk", "Organisation").objects.create(code="LAB-M", name="Lab M")
    incident = old.get_model("breachdesk", "Incident").objects.create(reference="INC-M", title="M")
    breach_file = old.get_model("breachdesk", "BreachFile").objects.create(
        incident=incident, controller=organisation, became_aware_at=timezone.now()
    )
    imports = old.get_model("breachdesk", "SubjectImport").objects
    named = imports.create(breach_file=breach_file, original_name=f"{CANARY}.xlsx", file_sha256="a")
    unnamed = imports.create(breach_file=breach_file, original_name="", file_sha256="b")

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    assert SubjectImport.objects.get(pk=named.pk).original_name == f"{CANARY}.xlsx"
    assert SubjectImport.objects.get(pk=unnamed.pk).original_name == ""
    assert CANARY.lower() not in database_text().lower()
    assert not keyring.key_use().unreadable
