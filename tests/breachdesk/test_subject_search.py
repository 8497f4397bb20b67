"""Finding a data subject through the blind indexes: exact matches normalised as the import does, never a scan."""

from __future__ import annotations

from dataclasses import replace

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from breachdesk import crypto
from breachdesk.importing.services import import_subjects
from breachdesk.models import DataSubject, PersonalData, SubjectImport
from tests.breachdesk.importing.conftest import subject_row, write_csv
from tests.factories import DataSubjectFactory


def person(**values: str) -> PersonalData:
    defaults = {
        "patient_ref": "RNS-000001",
        "last_name": "Le Gall",
        "first_name": "Anne-Sophie",
        "email": "anne.legall@example.org",
        "address_1": "3 rue de Brest",
        "postcode": "35000",
        "city": "Rennes",
    }
    return PersonalData(**(defaults | values))


@pytest.fixture
def people(breach_file):
    subjects = {
        "legall": DataSubjectFactory(breach_file=breach_file, personal=person()),
        "quere": DataSubjectFactory(
            breach_file=breach_file,
            personal=person(
                patient_ref="RNS-000002",
                last_name="Quéré",
                first_name="Gwenaëlle",
                email="g.quere@example.org",
                postcode="29200",
                city="Brest",
            ),
        ),
        "ain": DataSubjectFactory(
            breach_file=breach_file,
            personal=person(
                patient_ref="RNS-000003",
                last_name="Martin",
                first_name="Paul",
                email="",
                postcode="01000",
                city="Bourg",
            ),
        ),
    }
    return subjects


def found(breach_file, query: str) -> set[int]:
    return set(DataSubject.objects.filter(breach_file=breach_file).matching(query).values_list("pk", flat=True))


@pytest.mark.django_db
def test_a_person_is_found_by_patient_reference_name_full_name_postcode_or_email(breach_file, people):
    legall, quere, ain = people["legall"].pk, people["quere"].pk, people["ain"].pk
    assert found(breach_file, "rns-000001") == {legall}
    assert found(breach_file, "  RNS 000002 ") == {quere}
    # A last name of two words, accents and case aside, and last and first name in either order.
    assert found(breach_file, "le gall") == {legall}
    assert found(breach_file, "LEGALL") == {legall}
    assert found(breach_file, "quere") == {quere}
    assert found(breach_file, "Gwenaëlle Quéré") == {quere}
    assert found(breach_file, "Le Gall Anne-Sophie") == {legall}
    assert found(breach_file, "anne sophie le gall") == {legall}
    assert found(breach_file, "29200") == {quere}
    # A spreadsheet's 4-digit postcode, read with its leading zero as the import reads it.
    assert found(breach_file, "1000") == {ain}
    assert found(breach_file, "G.Quere@Example.org") == {quere}


@pytest.mark.django_db
def test_the_search_is_exact_a_prefix_or_another_first_name_finds_nobody(breach_file, people):
    assert found(breach_file, "gal") == set()
    assert found(breach_file, "Le Gall Marie") == set()
    assert found(breach_file, "RNS-00000") == set()
    assert found(breach_file, "quere@example.org") == set()
    assert found(breach_file, "") == set(DataSubject.objects.values_list("pk", flat=True))


@pytest.mark.django_db
def test_the_search_stays_inside_its_breach_file(breach_file, other_breach_file, people):
    DataSubjectFactory(breach_file=other_breach_file, personal=person(patient_ref="BRS-1"))
    assert found(breach_file, "le gall") == {people["legall"].pk}


@pytest.mark.django_db
def test_the_search_is_one_query_on_indexed_columns(breach_file, people, django_assert_num_queries):
    with django_assert_num_queries(1) as captured:
        list(DataSubject.objects.filter(breach_file=breach_file).matching("Le Gall Anne-Sophie"))
    sql = captured.captured_queries[0]["sql"]
    assert "last_name_index" in sql and "personal_token" in sql.split("FROM")[0]
    assert "legall" not in sql.lower() and "anne" not in sql.lower()


@pytest.mark.django_db
def test_an_imported_person_is_found_by_name_and_postcode(breach_file, tmp_path):
    data = [
        subject_row(1, last_name="Jégou", first_name="Françoise"),
        subject_row(2, last_name="Le Bihan", first_name="Loïc", postcode="2900", city="Quimper"),
    ]
    subject_import = import_subjects(breach_file=breach_file, path=write_csv(tmp_path / "lab.csv", data))
    assert subject_import.state == SubjectImport.State.IMPORTED, subject_import.error_report
    assert len(found(breach_file, "francoise jegou")) == 1
    assert len(found(breach_file, "Le Bihan")) == 1
    assert len(found(breach_file, "02900")) == 1


@pytest.mark.django_db(transaction=True)
def test_the_migration_fills_the_search_indexes_of_subjects_stored_before():
    executor = MigrationExecutor(connection)
    executor.migrate([("breachdesk", "0012_obligations")])
    executor.loader.build_graph()
    old = executor.loader.project_state([("breachdesk", "0012_obligations")]).apps
    organisation = old.get_model("breachdesk", "Organisation").objects.create(code="LAB-M", name="Lab M")
    incident = old.get_model("breachdesk", "Incident").objects.create(reference="INC-M", title="M")
    breach_file = old.get_model("breachdesk", "BreachFile").objects.create(
        incident=incident, controller=organisation, became_aware_at=timezone.now()
    )
    data = replace(person(), last_name="Kerhervé", first_name="Yann", postcode="29000")
    old.get_model("breachdesk", "DataSubject").objects.create(
        breach_file=breach_file,
        personal_token=crypto.encrypt_json(data.to_json()),
        patient_ref_index=crypto.blind_index("patient_ref", data.patient_ref),
        exposures=["identity"],
    )
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    subject = DataSubject.objects.get()
    assert subject.last_name_index == crypto.blind_index("last_name", "kerherve")
    assert subject.full_name_index == crypto.blind_index("full_name", "Kerhervé", "Yann")
    assert subject.postcode_index == crypto.blind_index("postcode", "29000")
    assert set(DataSubject.objects.matching("Yann Kerhervé").values_list("pk", flat=True)) == {subject.pk}
