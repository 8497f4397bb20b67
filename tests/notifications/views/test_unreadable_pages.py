# ruff: noqa: F811  (pytest fixtures imported from campaign_fixtures)
"""Pages that show a person whose stored data cannot be decrypted: a clear line or message, never a 500."""

from __future__ import annotations

import pytest
from django.urls import reverse

from breachdesk.models import DataSubject
from notifications.models import Campaign, Notice, NoticeState, UnreachableSubject
from notifications.services import campaigns, mailroom
from tests.conftest import PASSWORD, log_in
from tests.notifications.campaign_fixtures import (  # noqa: F401
    corrupt_token,
    decide_to_inform,
    informed_file,
    make_subjects,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def unreadable_letter(informed_file, lab_dpo) -> Notice:
    """A launched campaign whose first letter's person became unreadable, its batch rendered."""
    campaigns.launch_campaign(breach_file=informed_file, user=lab_dpo, channels="post,email")
    letter = Notice.objects.filter(breach_file=informed_file, channel="post").order_by("pk").first()
    corrupt_token(letter.subject)
    mailroom.build_print_batches(campaign_id=letter.campaign_id)
    letter.refresh_from_db()
    return letter


def _args(breach_file) -> list[str]:
    return [breach_file.incident.reference, breach_file.controller.code]


def test_the_subject_list_shows_a_data_unreadable_line_and_the_other_persons(client, unreadable_letter, lab_dpo):
    client.login(username=lab_dpo.username, password=PASSWORD)
    breach_file = unreadable_letter.breach_file

    response = client.get(reverse("subject_list", args=_args(breach_file)))
    filtered = client.get(reverse("subject_list", args=_args(breach_file)), {"notice": "unreadable"})

    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('data-testid="unreadable"') == 1
    assert "Données illisibles" in page and f"#{unreadable_letter.subject_id}<" in page
    readable = DataSubject.objects.exclude(pk=unreadable_letter.subject_id).filter(breach_file=breach_file).first()
    assert readable.personal.patient_ref in page
    assert filtered.status_code == 200
    assert filtered.context["page"].paginator.count == 1


def test_the_subject_page_says_the_data_is_unreadable_and_what_to_do(client, unreadable_letter, lab_dpo):
    client.login(username=lab_dpo.username, password=PASSWORD)
    url = reverse("subject_detail", args=[*_args(unreadable_letter.breach_file), unreadable_letter.subject_id])

    response = client.get(url)
    contact = client.get(
        reverse("subject_contact", args=[*_args(unreadable_letter.breach_file), unreadable_letter.subject_id]),
        follow=True,
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "Aucune clé configurée ne déchiffre" in page and "BREACHDESK_DATA_KEYS" in page
    assert "Corriger l&#x27;adresse" not in page
    assert unreadable_letter.reference in page  # the person's notice history still shows, by reference
    assert contact.redirect_chain and contact.redirect_chain[-1][0] == url
    assert "ne peuvent pas être déchiffrées" in contact.content.decode()


def test_the_campaign_page_lists_the_unreadable_notices_with_what_to_do(client, unreadable_letter, lab_dpo):
    client.login(username=lab_dpo.username, password=PASSWORD)
    subject = unreadable_letter.subject
    UnreachableSubject.objects.create(
        campaign=unreadable_letter.campaign,
        subject=subject,
        reason=UnreachableSubject.Reason.ALL_FAILED,
        recorded_at=unreadable_letter.created_at,
    )

    response = client.get(reverse("notifications:campaign", args=_args(unreadable_letter.breach_file)))

    assert response.status_code == 200
    page = response.content.decode()
    section = page[page.index('id="unreadable"') : page.index('id="unreachable"')]
    assert "1 envoi mis de côté" in section
    assert unreadable_letter.reference in section and f"#{subject.pk}</a>" in section
    assert "BREACHDESK_DATA_KEYS" in section
    assert unreadable_letter.state == NoticeState.UNREADABLE
    assert Campaign.objects.get().batches.get().letters == Notice.objects.filter(state=NoticeState.READY).count()


def test_the_ledger_csv_streams_every_row_with_the_unreadable_one_marked(client, unreadable_letter, lab_dpo):
    client.login(username=lab_dpo.username, password=PASSWORD)

    response = client.get(reverse("notifications:campaign_ledger", args=_args(unreadable_letter.breach_file)))
    text = b"".join(response.streaming_content).decode("utf-8-sig")

    assert response.status_code == 200
    lines = [line for line in text.splitlines() if line]
    assert len(lines) == 1 + Notice.objects.filter(breach_file=unreadable_letter.breach_file).count()
    marked = [line for line in lines if line.startswith(f"{unreadable_letter.pk};")]
    assert marked and "(données illisibles)" in marked[0] and "Données illisibles" in marked[0]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_in_a_browser_the_dpo_follows_an_unreadable_notice_to_the_person_page(
    browser_page, live_server, informed_file, lab_dpo
):
    campaigns.launch_campaign(breach_file=informed_file, user=lab_dpo, channels="post")
    letter = Notice.objects.filter(breach_file=informed_file, channel="post").order_by("pk").first()
    corrupt_token(letter.subject)
    mailroom.build_print_batches(campaign_id=letter.campaign_id)
    page = browser_page
    log_in(page, live_server, "dpo.rennes")
    page.wait_for_url(f"{live_server.url}/")

    page.goto(f"{live_server.url}/files/INC-2021-0001/LAB-RENNES/campaign/")
    assert page.locator('.campaign-progress [data-role="unreadable"]').inner_text() == "1"
    section = page.locator("section#unreadable")
    assert "1 envoi mis de côté" in section.inner_text() and letter.reference in section.inner_text()
    section.get_by_role("link", name=f"#{letter.subject_id}").click()

    page.wait_for_url(f"**/subjects/{letter.subject_id}/")
    alert = page.locator("[data-testid=unreadable]")
    assert "Données illisibles" in alert.inner_text() and "BREACHDESK_DATA_KEYS" in alert.inner_text()
    assert page.locator("[data-testid=email]").count() == 0
