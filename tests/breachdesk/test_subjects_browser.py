"""In a real browser: the subject page's postal address, and finding a person by reference, by name, by channel."""

from __future__ import annotations

import pytest

from breachdesk.models import PersonalData
from tests.conftest import log_in
from tests.factories import DataSubjectFactory
from tests.notifications.campaign_fixtures import make_subjects

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SUBJECTS = "/files/INC-2021-0001/LAB-RENNES/subjects/"


def goff(**values: str) -> PersonalData:
    defaults = {
        "patient_ref": "RNS-004242",
        "last_name": "Le Goff",
        "first_name": "Maëlys",
        "email": "",
        "address_1": "12 rue de la Monnaie",
        "address_2": "Appartement 3",
        "postcode": "35000",
        "city": "Rennes",
        "address_block": ["Maëlys LE GOFF", "Appartement 3", "12 RUE DE LA MONNAIE", "35000 RENNES"],
    }
    return PersonalData(**(defaults | values))


def test_the_subject_page_shows_the_postal_address_lines_and_no_template_code(
    browser_page, live_server, lab_dpo, breach_file
):
    subject = DataSubjectFactory(breach_file=breach_file, personal=goff())
    page = browser_page
    log_in(page, live_server, "dpo.rennes")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}{SUBJECTS}{subject.pk}/")
    address = page.get_by_test_id("postal-address")
    assert address.inner_text().splitlines() == [
        "Maëlys LE GOFF",
        "Appartement 3",
        "12 RUE DE LA MONNAIE",
        "35000 RENNES",
    ]
    body = page.locator("body").inner_text()
    assert "{{" not in body and "{%" not in body and "address_block" not in body


def test_the_dpo_finds_a_person_by_reference_and_by_name_and_filters_by_channel(
    browser_page, live_server, lab_dpo, breach_file
):
    make_subjects(breach_file, 4, email=True, post=False)
    make_subjects(breach_file, 3, start=4, email=False, post=True)
    wanted = DataSubjectFactory(breach_file=breach_file, personal=goff())
    page = browser_page
    log_in(page, live_server, "dpo.rennes")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}{SUBJECTS}")
    rows = page.locator("[data-testid=subjects] tbody tr")
    assert rows.count() == 8

    search = page.get_by_label("Référence patient, nom, code postal ou e-mail")
    search.fill("rns-004242")
    page.get_by_role("button", name="Rechercher").click()
    page.wait_for_load_state()
    assert rows.count() == 1 and "RNS-004242" in rows.first.inner_text()
    # The words searched are personal data: never in the address bar.
    assert "004242" not in page.url.lower()

    search = page.get_by_label("Référence patient, nom, code postal ou e-mail")
    assert search.input_value() == "rns-004242"
    search.fill("Maëlys Le Goff")
    page.get_by_role("button", name="Rechercher").click()
    page.wait_for_load_state()
    assert rows.count() == 1 and "Le Goff" in rows.first.inner_text()
    assert "goff" not in page.url.lower()
    rows.first.locator("a").click()
    page.wait_for_url(f"{live_server.url}{SUBJECTS}{wanted.pk}/")

    page.goto(f"{live_server.url}{SUBJECTS}")
    page.get_by_role("button", name="Effacer la recherche").click()
    page.wait_for_load_state()
    page.get_by_label("Canal").select_option("email")
    page.get_by_role("button", name="Rechercher").click()
    page.wait_for_load_state()
    assert "channel=email" in page.url
    assert rows.count() == 4
    assert all("E-mail" in rows.nth(index).inner_text() for index in range(4))
    assert page.get_by_test_id("subject-count").inner_text() == "4 personnes concernées correspondent"
