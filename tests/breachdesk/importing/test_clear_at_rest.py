"""What an import leaves in clear at rest: the database read column by column holds no file name, no health fact."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from breachdesk import assessment, crypto, keyring
from breachdesk.exposure_summary import exposure_sets
from breachdesk.importing.services import import_subjects
from breachdesk.models import DataSubject, SubjectImport
from tests.breachdesk.importing.conftest import rows, subject_row, write_csv
from tests.notifications.campaign_fixtures import decide_to_inform

CANARY = "patients_VIH_Kerguelen_2021"
# The code "hiv" as a word: never inside a Fernet token (base64url letters, digits, - and _ around it).
HEALTH_CODE = re.compile(r"(?<![A-Za-z0-9_-])hiv(?![A-Za-z0-9_-])", re.IGNORECASE)


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
    executor.migrate([("breachdesk", "0018_upload_names_in_the_private_storage")])
    old = executor.loader.project_state([("breachdesk", "0018_upload_names_in_the_private_storage")]).apps
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


@pytest.mark.django_db
def test_an_hiv_patient_s_code_is_nowhere_in_clear_yet_scoring_counts_and_the_risk_filter_still_work(
    breach_file, lab_dpo, tmp_path
):
    data = [subject_row(0, exposed="identity|contact|nir|hiv"), subject_row(1, exposed="identity|contact")]
    data += [subject_row(index, exposed="identity|contact") for index in range(2, 4)]
    subject_import = import_subjects(breach_file=breach_file, path=write_csv(tmp_path / f"{CANARY}.csv", data))
    assert subject_import.state == SubjectImport.State.IMPORTED, subject_import.findings

    dump = database_text()
    assert not HEALTH_CODE.search(dump)
    assert CANARY.lower() not in dump.lower()
    hiv_person = DataSubject.objects.get(breach_file=breach_file, source_line=2)
    assert hiv_person.exposures == ["identity", "contact", "nir", "hiv"]
    assert (hiv_person.processing_context, hiv_person.has_health_data) == (4, True)

    # The CNIL form's categories and the assessment's proposal come from the encrypted counts.
    breach_file.refresh_from_db()
    assert breach_file.data_categories == ["civil_status", "nir", "contact", "health"]
    assert assessment.default_exposures(breach_file) == ["identity", "contact", "nir", "hiv"]
    decide_to_inform(breach_file, lab_dpo, levels=["low", "medium", "high", "very_high"])
    groups = assessment.subject_groups(breach_file=breach_file, assessment=assessment.latest_assessment(breach_file))
    assert [(group.exposures, group.count, group.level) for group in groups] == [
        (("identity", "contact", "nir", "hiv"), 1, "very_high"),
        (("identity", "contact"), 3, "medium"),
    ]
    assert assessment.subjects_to_inform(breach_file).count() == 4

    client = Client()
    client.force_login(lab_dpo)
    url = reverse("subject_list", args=[breach_file.incident.reference, breach_file.controller.code])
    very_high = client.get(url, {"risk": "very_high"}).context["rows"]
    assert [row.subject.pk for row in very_high] == [hiv_person.pk]
    assert len(client.get(url, {"risk": "medium"}).context["rows"]) == 3


@pytest.mark.django_db
def test_the_copy_fast_path_stores_the_same_derived_classes_and_token_as_the_orm(breach_file, tmp_path):
    data = [subject_row(0, exposed="identity|hiv"), subject_row(1, exposed="contact")]
    import_subjects(breach_file=breach_file, path=write_csv(tmp_path / "lab.csv", data))
    stored = {
        subject.source_line: (subject.exposures, subject.processing_context, subject.has_health_data)
        for subject in DataSubject.objects.filter(breach_file=breach_file)
    }
    assert stored == {2: (["identity", "hiv"], 4, True), 3: (["contact"], 1, False)}


@pytest.mark.django_db(transaction=True)
def test_the_migration_moves_earlier_subjects_exposures_into_their_tokens_and_counts_them():
    before = [("breachdesk", "0019_encrypted_file_name")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    organisation = old.get_model("breachdesk", "Organisation").objects.create(code="LAB-M", name="Lab M")
    incident = old.get_model("breachdesk", "Incident").objects.create(reference="INC-M", title="M")
    breach_file = old.get_model("breachdesk", "BreachFile").objects.create(
        incident=incident, controller=organisation, became_aware_at=timezone.now()
    )
    subjects = old.get_model("breachdesk", "DataSubject").objects
    personal = {"patient_ref": "P-1", "last_name": "Kerbrat", "first_name": "Maëlle", "birth_date": ""}
    hiv = subjects.create(
        breach_file=breach_file,
        personal_token=crypto.encrypt_json(personal),
        patient_ref_index="a1",
        exposures=["hiv", "identity"],
    )
    email_only = subjects.create(
        breach_file=breach_file,
        personal_token=crypto.encrypt_json({**personal, "patient_ref": "P-2"}),
        patient_ref_index="a2",
        exposures=["contact"],
    )
    broken = subjects.create(
        breach_file=breach_file, personal_token="gAAAAAbroken", patient_ref_index="a3", exposures=["contact"]
    )

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    migrated = DataSubject.objects.get(pk=hiv.pk)
    assert migrated.personal.last_name == "Kerbrat"
    assert migrated.exposures == ["hiv", "identity"]
    assert (migrated.processing_context, migrated.has_health_data) == (4, True)
    assert DataSubject.objects.get(pk=email_only.pk).exposures == ["contact"]
    # A person no key reads keeps the derived classes; their data was unreadable already.
    unreadable = DataSubject.objects.get(pk=broken.pk)
    assert (unreadable.processing_context, unreadable.has_health_data) == (1, False)
    assert sorted(exposure_sets(breach_file.pk)) == [(["contact"], 2), (["identity", "hiv"], 1)]
    assert not HEALTH_CODE.search(database_text())


@pytest.mark.django_db
def test_an_import_leaves_no_name_or_address_in_the_workers_caches(breach_file, lab_dpo, tmp_path):
    from breachdesk.importing import address

    data = rows(5)
    data[0].update(last_name="Lefèvre-Kerguélen", address_1="12 rue de l'Église", city="Saint-Brieuc")
    path = write_csv(tmp_path / "lab.csv", data)

    subject_import = import_subjects(breach_file=breach_file, path=path, user=lab_dpo)

    assert subject_import.state == SubjectImport.State.IMPORTED, subject_import.findings
    caches = [address._fold_non_ascii, address.postal_capitals, address._locality_line, address.shorten]
    caches.append(crypto.normalise_unicode)
    assert [cached.cache_info().currsize for cached in caches] == [0] * len(caches)
    # The caches did their work during the import (an accented name and street were folded).
    assert DataSubject.objects.filter(breach_file=breach_file).count() == 5
