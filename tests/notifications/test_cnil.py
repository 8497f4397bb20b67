"""The CNIL teleservice mapping: one module, as data, covering DOMAIN.md section 5 in French."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from breachdesk.csvfiles import csv_safe as safe_cell
from breachdesk.csvfiles import csv_text
from breachdesk.models import DecisionOutcome, Incident
from breachdesk.taxonomy import Cause, Consequence, DataCategory, Nature, Origin, OtherBody, PersonCategory, Severity
from notifications import cnil
from notifications.models import Filing
from notifications.services import filings
from tests.factories import BreachFileFactory, IncidentFactory, OrganisationFactory


@pytest.mark.parametrize(
    ("enumeration", "labels"),
    [
        (Nature, cnil.NATURE_FR),
        (Origin, cnil.ORIGIN_FR),
        (Cause, cnil.CAUSE_FR),
        (PersonCategory, cnil.PERSON_CATEGORY_FR),
        (DataCategory, cnil.DATA_CATEGORY_FR),
        (Consequence, cnil.CONSEQUENCE_FR),
        (Severity, cnil.SEVERITY_FR),
        (DecisionOutcome, cnil.OUTCOME_FR),
        (OtherBody, cnil.OTHER_BODY_FR),
    ],
)
def test_every_value_of_every_enumeration_has_its_french_teleservice_wording(enumeration, labels):
    assert set(labels) == set(enumeration.values)
    assert all(label.strip() for label in labels.values())


def test_the_mapping_has_unique_keys_and_the_sections_of_the_teleservice():
    keys = [item.key for _section, item in cnil.CNIL_TELESERVICE.fields()]
    assert len(keys) == len(set(keys))
    assert [section.key for section in cnil.CNIL_TELESERVICE.sections] == [
        "notification",
        "organisation",
        "contact",
        "legal_representative",
        "breach",
        "dates",
        "nature",
        "origin",
        "cause",
        "processor",
        "persons",
        "data",
        "consequences",
        "measures",
        "information",
        "other_bodies",
        "cross_border",
        "enisa",
        "models",
    ]
    required = {item.required_by for _section, item in cnil.CNIL_TELESERVICE.fields() if item.required_by}
    assert {"Art. 33(3)(a)", "Art. 33(3)(b)", "Art. 33(3)(c)", "Art. 33(3)(d)", "Art. 33(1)"} <= required


@pytest.mark.django_db
def test_the_contact_person_and_the_legal_representative_are_both_filled_even_when_the_same_person(breach_file):
    organisation = breach_file.controller
    organisation.legal_representative_name = organisation.dpo_name
    organisation.save()
    values = filings.check_completeness(breach_file=breach_file, kind="initial").values
    assert values["contact.name"] == values["legal_representative.name"] == "Claire Delegue"


@pytest.mark.django_db
def test_an_organisation_without_siren_says_so_explicitly(db):
    lab = OrganisationFactory(code="LAB-ASSO", siret="", has_no_siren=True)
    breach_file = BreachFileFactory(controller=lab)
    values = filings.check_completeness(breach_file=breach_file, kind="initial").values
    assert values["organisation.siren"] == "L'organisme n'a pas de numéro SIREN"
    lab.has_no_siren = False
    lab.save()
    completeness = filings.check_completeness(breach_file=breach_file, kind="initial")
    assert "organisation.siren" in {gap.key for gap in completeness.missing}


@pytest.mark.django_db
def test_dates_not_known_yet_are_answered_as_such_not_as_missing(breach_file):
    completeness = filings.check_completeness(breach_file=breach_file, kind="initial")
    unknown = {gap.key for gap in completeness.unknown}
    assert {"dates.start", "dates.discovery", "dates.end", "dates.processor_informed"} <= unknown
    assert completeness.values["dates.start"] is None
    assert "dates.start" not in {gap.key for gap in completeness.missing}


@pytest.mark.django_db
def test_an_ongoing_breach_has_no_end_date_to_give(breach_file):
    breach_file.is_ongoing = True
    breach_file.save()
    completeness = filings.check_completeness(breach_file=breach_file, kind="initial")
    assert completeness.values["dates.end"] == "Violation toujours en cours"
    assert "dates.end" not in {gap.key for gap in completeness.unknown}


@pytest.mark.django_db
def test_an_incident_without_processor_answers_no_processor(lab):
    incident = IncidentFactory(reference="INC-2021-0777", processor=None)
    breach_file = BreachFileFactory(incident=incident, controller=lab)
    values = filings.check_completeness(breach_file=breach_file, kind="initial").values
    assert values["processor.involved"] == "Non"
    assert values["dates.processor_informed"] == "Sans objet"
    assert Incident.objects.get(pk=incident.pk).processor is None


@pytest.mark.django_db
def test_the_severity_falls_back_on_the_enisa_level_when_not_chosen(complete_breach_file):
    complete_breach_file.severity = ""
    complete_breach_file.save()
    values = filings.check_completeness(breach_file=complete_breach_file, kind="initial").values
    assert values["consequences.severity"] == "Maximale (d'après l'évaluation ENISA en annexe)"


@pytest.mark.django_db
def test_the_late_question_reads_the_initial_submission_for_a_complementary_filing(complete_breach_file):
    initial = filings.prepare_filing(breach_file=complete_breach_file, kind="initial", user=None)
    filings.record_submission(
        filing=initial, user=None, submitted_at=timezone.now() - timedelta(minutes=1), case_number="C-1"
    )
    complete_breach_file.refresh_from_db()
    later = complete_breach_file.authority_deadline + timedelta(days=10)
    completeness = filings.check_completeness(breach_file=complete_breach_file, kind="complementary", now=later)
    assert not completeness.is_late
    assert completeness.values["dates.late"] == "Non"
    assert Filing.objects.count() == 1


def test_a_csv_cell_starting_like_a_formula_is_quoted_and_others_are_left_alone():
    assert [safe_cell(value) for value in ["=1+1", "+33", "-2", "@x", "\tx", "\rx", "a=b", 5, None, ""]] == [
        "'=1+1",
        "'+33",
        "'-2",
        "'@x",
        "'\tx",
        "'\rx",
        "a=b",
        "5",
        "",
        "",
    ]
    assert csv_text(["a", "b"], [["=x", "y;z"]]) == 'a;b\r\n\'=x;"y;z"\r\n'
