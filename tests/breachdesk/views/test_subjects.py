"""The data subject pages: the search posted and never in a URL, the filters, access, the audited correction."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils.html import escape

from breachdesk import crypto
from breachdesk.models import AuditEvent, DataSubject, PersonalData
from tests.factories import DataSubjectFactory
from tests.notifications.campaign_fixtures import decide_to_inform, make_subjects

pytestmark = pytest.mark.django_db


def list_url(breach_file) -> str:
    return reverse("subject_list", args=[breach_file.incident.reference, breach_file.controller.code])


def subject_url(subject, name: str = "subject_detail") -> str:
    breach_file = subject.breach_file
    return reverse(name, args=[breach_file.incident.reference, breach_file.controller.code, subject.pk])


def listed(response) -> list[int]:
    return [row.subject.pk for row in response.context["rows"]]


def a_person(**values: str) -> PersonalData:
    defaults = {
        "patient_ref": "RNS-004242",
        "last_name": "Le Goff",
        "first_name": "Maëlys",
        "email": "maelys.legoff@example.org",
        "address_1": "12 rue de la Monnaie",
        "postcode": "35000",
        "city": "Rennes",
        "address_block": ["Maëlys LE GOFF", "12 RUE DE LA MONNAIE", "35000 RENNES"],
    }
    return PersonalData(**(defaults | values))


def test_the_subject_page_shows_the_postal_address_as_lines_and_no_template_code(client, lab_dpo, breach_file):
    subject = DataSubjectFactory(breach_file=breach_file, personal=a_person())
    client.force_login(lab_dpo)
    html = client.get(subject_url(subject)).content.decode()
    assert "{{" not in html and "{%" not in html
    assert "Maëlys LE GOFF<br>12 RUE DE LA MONNAIE<br>35000 RENNES" in html


def test_an_address_without_a_block_shows_the_lines_the_lab_gave(client, lab_dpo, breach_file):
    subject = DataSubjectFactory(
        breach_file=breach_file, personal=a_person(address_block=[], address_2="Bâtiment B", city="Rennes")
    )
    client.force_login(lab_dpo)
    html = client.get(subject_url(subject)).content.decode()
    assert "12 rue de la Monnaie<br>Bâtiment B<br>35000 Rennes" in html


def test_a_search_is_posted_kept_encrypted_in_the_session_and_never_put_in_the_url(client, lab_dpo, breach_file):
    wanted = DataSubjectFactory(breach_file=breach_file, personal=a_person())
    DataSubjectFactory.create_batch(3, breach_file=breach_file)
    client.force_login(lab_dpo)
    response = client.post(list_url(breach_file), {"query": "Maëlys Le Goff", "channel": "email"})
    assert response.status_code == 302
    location = response["Location"]
    assert location == f"{list_url(breach_file)}?channel=email"
    stored = " ".join(str(value) for value in client.session.values())
    assert "Goff" not in stored and "Maëlys" not in stored
    response = client.get(location)
    assert listed(response) == [wanted.pk]
    assert response.context["search_form"]["query"].value() == "Maëlys Le Goff"
    # Pagination keeps the filters (codes) and the session keeps the words.
    assert listed(client.get(f"{location}&page=1")) == [wanted.pk]
    audit = AuditEvent.objects.filter(action="view", object_type="data_subject_list").latest("pk")
    assert "Goff" not in audit.detail and "search" in audit.detail and "channel=email" in audit.detail
    client.post(list_url(breach_file), {"query": "Maëlys Le Goff", "clear": "1"})
    assert len(listed(client.get(list_url(breach_file)))) == 4


def test_the_words_of_one_breach_file_do_not_filter_another(client, compliance_officer, breach_file, other_breach_file):
    DataSubjectFactory(breach_file=breach_file, personal=a_person())
    DataSubjectFactory.create_batch(2, breach_file=other_breach_file)
    client.force_login(compliance_officer)
    client.post(list_url(breach_file), {"query": "RNS-004242"})
    assert len(listed(client.get(list_url(breach_file)))) == 1
    assert len(listed(client.get(list_url(other_breach_file)))) == 2


def test_the_list_filters_by_channel_reachability_language_and_risk_level(client, lab_dpo, breach_file):
    make_subjects(breach_file, 2, start=0, email=True, post=False, language="fr")
    make_subjects(breach_file, 3, start=2, email=False, post=True, language="en")
    make_subjects(breach_file, 1, start=5, email=False, post=False, language="fr", exposures=["contact"])
    decide_to_inform(breach_file, lab_dpo, levels=["low", "medium", "high", "very_high"])
    client.force_login(lab_dpo)
    url = list_url(breach_file)
    assert len(listed(client.get(url, {"channel": "email"}))) == 2
    assert len(listed(client.get(url, {"channel": "post"}))) == 3
    assert len(listed(client.get(url, {"reachability": "unreachable"}))) == 1
    assert len(listed(client.get(url, {"reachability": "reachable"}))) == 5
    assert len(listed(client.get(url, {"language": "en"}))) == 3
    assert len(listed(client.get(url, {"risk": "very_high"}))) == 5
    assert len(listed(client.get(url, {"risk": "medium"}))) == 1
    assert len(listed(client.get(url, {"risk": "low"}))) == 0
    assert len(listed(client.get(url, {"risk": "very_high", "language": "fr", "channel": "email"}))) == 2
    # An unknown code is ignored as a whole, never half applied.
    assert len(listed(client.get(url, {"channel": "pigeon"}))) == 6


def test_the_list_names_exposures_and_risk_levels_in_the_readers_language(client, lab_dpo, breach_file):
    make_subjects(breach_file, 1, exposures=["identity", "hiv"])
    decide_to_inform(breach_file, lab_dpo)
    client.force_login(lab_dpo)
    client.cookies.load({"django_language": "en"})
    html = client.get(list_url(breach_file)).content.decode()
    assert "hiv" not in html.split('data-testid="subjects"')[1].split("</table>")[0]
    assert escape("Identity (name, date of birth)") in html
    assert "Very high" in html


def test_the_list_asks_a_fixed_number_of_queries_whatever_the_number_of_subjects(
    client, lab_dpo, breach_file, django_assert_max_num_queries
):
    make_subjects(breach_file, 3)
    decide_to_inform(breach_file, lab_dpo)
    client.force_login(lab_dpo)
    client.post(list_url(breach_file), {"query": "nobody"})
    url = f"{list_url(breach_file)}?channel=post&risk=very_high&notice=none&language=fr"
    client.get(url)
    with django_assert_max_num_queries(14) as few:
        client.get(url)
    make_subjects(breach_file, 60, start=3)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(list_url(breach_file))


def test_a_dpo_of_another_lab_gets_a_404_on_the_list_the_page_and_the_correction(client, other_lab_dpo, breach_file):
    subject = DataSubjectFactory(breach_file=breach_file)
    client.force_login(other_lab_dpo)
    assert client.get(list_url(breach_file)).status_code == 404
    assert client.post(list_url(breach_file), {"query": "x"}).status_code == 404
    assert client.get(subject_url(subject)).status_code == 404
    assert client.post(subject_url(subject, "subject_contact"), {"email": "x@example.org"}).status_code == 404
    assert DataSubject.objects.get(pk=subject.pk).personal.email == subject.personal.email


def test_neither_the_mailroom_nor_a_compliance_officer_may_correct_a_contact(
    client, mailroom_operator, compliance_officer, breach_file
):
    subject = DataSubjectFactory(breach_file=breach_file)
    for user in (mailroom_operator, compliance_officer):
        client.force_login(user)
        assert client.get(subject_url(subject, "subject_contact")).status_code == 404
        assert client.post(subject_url(subject, "subject_contact"), {"email": "x@example.org"}).status_code == 404
    assert DataSubject.objects.get(pk=subject.pk).personal.email == subject.personal.email
    assert AuditEvent.objects.filter(action="denied", user__in=[mailroom_operator, compliance_officer]).count() == 4
    client.force_login(compliance_officer)
    assert subject_url(subject, "subject_contact") not in client.get(subject_url(subject)).content.decode()


def test_a_dpo_corrects_an_address_re_encrypted_re_indexed_and_audited_without_the_values(client, lab_dpo, breach_file):
    subject = DataSubjectFactory(breach_file=breach_file, personal=a_person(email=""))
    client.force_login(lab_dpo)
    assert subject_url(subject, "subject_contact") in client.get(subject_url(subject)).content.decode()
    assert client.get(subject_url(subject, "subject_contact")).status_code == 200
    response = client.post(
        subject_url(subject, "subject_contact"),
        {
            "address_1": "4 place Sainte-Anne",
            "address_2": "",
            "address_3": "",
            "postcode": "29 200",
            "city": "Brest",
            "email": "Maelys.LeGoff@Example.ORG",
        },
    )
    assert response.status_code == 302 and response["Location"] == subject_url(subject)
    stored = DataSubject.objects.get(pk=subject.pk)
    assert stored.personal.address_block == ["Maëlys LE GOFF", "4 PLACE SAINTE ANNE", "29200 BREST"]
    assert stored.personal.email == "Maelys.LeGoff@example.org"
    assert stored.has_email and stored.has_postal_address and stored.contact_corrected_at is not None
    assert stored.postcode_index == crypto.blind_index("postcode", "29200")
    assert stored.email_index == crypto.blind_index("email", "maelys.legoff@example.org")
    assert "Brest" not in stored.personal_token
    event = AuditEvent.objects.get(action="change", object_type="data_subject", object_id=str(subject.pk))
    assert event.detail == "contact corrected: address_1,postcode,city,email"
    for value in ("Sainte", "29200", "Brest", "legoff", "LeGoff", "Monnaie"):
        assert value not in event.detail
    assert set(DataSubject.objects.matching("29200").values_list("pk", flat=True)) == {subject.pk}


def test_a_bad_correction_names_the_field_and_changes_nothing(client, lab_dpo, breach_file):
    subject = DataSubjectFactory(breach_file=breach_file, personal=a_person())
    client.force_login(lab_dpo)
    response = client.post(
        subject_url(subject, "subject_contact"),
        {"address_1": "x" * 60, "postcode": "2920", "city": "Brest", "email": "not an email"},
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {"postcode", "email"}
    response = client.post(
        subject_url(subject, "subject_contact"),
        {"address_1": "x" * 60, "postcode": "29200", "city": "", "email": ""},
    )
    assert "city" in response.context["form"].errors
    response = client.post(
        subject_url(subject, "subject_contact"), {"address_1": "x" * 60, "postcode": "29200", "city": "Brest"}
    )
    assert "address_1" in response.context["form"].errors
    assert DataSubject.objects.get(pk=subject.pk).personal == subject.personal
    assert not AuditEvent.objects.filter(action="change", object_type="data_subject").exists()


def test_correcting_the_address_of_a_person_imported_with_an_address_to_review_makes_them_printable(
    client, lab_dpo, breach_file
):
    subject = DataSubjectFactory(breach_file=breach_file, personal=a_person(email=""))
    DataSubject.objects.filter(pk=subject.pk).update(address_needs_review=True, has_postal_address=False)
    client.force_login(lab_dpo)
    response = client.post(
        subject_url(subject, "subject_contact"),
        {"address_1": "4 place Sainte-Anne", "postcode": "29200", "city": "Brest", "email": ""},
    )
    assert response.status_code == 302
    stored = DataSubject.objects.get(pk=subject.pk)
    assert stored.has_postal_address and not stored.address_needs_review
