# ruff: noqa: F811  (pytest fixtures imported from campaign_fixtures)
"""The mailroom console against every persona, and the operator's flow in a real browser."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from notifications.models import Campaign, Notice, NoticeState, PrintBatch
from notifications.selectors import exports
from notifications.services import campaigns, mailroom
from tests.conftest import PASSWORD, log_in
from tests.factories import BreachFileFactory
from tests.notifications.campaign_fixtures import decide_to_inform, informed_file, make_subjects  # noqa: F401

OPERATORS = ["mailroom_operator", "admin_user"]
NOT_OPERATORS = ["lab_dpo", "compliance_officer", "other_lab_dpo", "user_without_role"]


@pytest.fixture
def batch(informed_file, lab_dpo) -> PrintBatch:
    campaigns.launch_campaign(breach_file=informed_file, user=lab_dpo, channels="post")
    return mailroom.build_print_batches(campaign_id=Campaign.objects.get().pk)[0]


def _login(client, request, persona):
    user = request.getfixturevalue(persona)
    client.login(username=user.username, password=PASSWORD)
    return user


def _batch_urls(batch):
    return {
        "pdf": reverse("notifications:mailroom_batch_pdf", args=[batch.pk]),
        "manifest": reverse("notifications:mailroom_batch_manifest", args=[batch.pk]),
        "printed": reverse("notifications:mailroom_batch_printed", args=[batch.pk]),
        "posted": reverse("notifications:mailroom_batch_posted", args=[batch.pk]),
    }


@pytest.mark.parametrize("persona", OPERATORS)
def test_operators_see_batches_and_download_pdf_and_manifest(client, request, batch, persona):
    _login(client, request, persona)
    urls = _batch_urls(batch)

    page = client.get(reverse("notifications:mailroom"))
    pdf = client.get(urls["pdf"])
    manifest = client.get(urls["manifest"])

    assert page.status_code == 200
    assert batch.label in page.content.decode()
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert "attachment" in pdf["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(manifest.content.decode()), delimiter=";"))
    assert rows[0] == exports.MANIFEST_HEADER
    assert len(rows) == 1 + batch.letters


@pytest.mark.parametrize("persona", NOT_OPERATORS)
def test_other_personas_get_a_404_in_the_mailroom(client, request, batch, persona):
    _login(client, request, persona)
    urls = _batch_urls(batch)

    assert client.get(reverse("notifications:mailroom")).status_code == 404
    assert client.get(urls["pdf"]).status_code == 404
    assert client.get(urls["manifest"]).status_code == 404
    assert client.post(urls["printed"]).status_code == 404
    assert client.post(urls["posted"], {"posted_on": timezone.localdate().isoformat()}).status_code == 404
    assert client.get(urls["posted"]).status_code == 404
    reference = batch.notices.first().reference
    assert client.post(reverse("notifications:mailroom_return"), {"reference": reference}).status_code == 404
    batch.refresh_from_db()
    assert batch.state == PrintBatch.State.READY


def test_an_operator_of_another_group_cannot_reach_a_batch(client, outside_breach_file, lab_dpo, mailroom_operator):
    make_subjects(outside_breach_file, 2, post=True)
    decide_to_inform(outside_breach_file, None)
    campaigns.launch_campaign(breach_file=outside_breach_file, user=None, channels="post")
    outside_batch = mailroom.build_print_batches(campaign_id=Campaign.objects.get().pk)[0]
    client.login(username=mailroom_operator.username, password=PASSWORD)

    assert client.get(_batch_urls(outside_batch)["pdf"]).status_code == 404
    assert outside_batch.label not in client.get(reverse("notifications:mailroom")).content.decode()


def test_the_console_never_shows_exposure_categories_or_names(client, batch, mailroom_operator):
    client.login(username=mailroom_operator.username, password=PASSWORD)
    page = client.get(reverse("notifications:mailroom")).content.decode()
    manifest = client.get(_batch_urls(batch)["manifest"]).content.decode()

    for notice in batch.notices.select_related("subject"):
        personal = notice.subject.personal
        assert personal.last_name.upper() not in page.upper()
        assert personal.last_name.upper() not in manifest.upper()
    for word in ("VIH", "HIV", "santé", "Résultats"):
        assert word not in page and word not in manifest


def test_printed_then_posted_then_a_return_recorded_by_reference(client, batch, mailroom_operator):
    client.login(username=mailroom_operator.username, password=PASSWORD)
    urls = _batch_urls(batch)
    today = timezone.localdate().isoformat()

    confirmed = {"posted_on": today, "confirming": "1", "confirm": "on"}
    refused = client.post(urls["posted"], confirmed, follow=True)
    assert "Seul un lot imprimé peut être marqué comme posté" in refused.content.decode()
    client.post(urls["printed"])
    client.post(urls["posted"], confirmed)
    reference = batch.notices.filter(subject__has_email=True).first().reference
    returned = client.post(reverse("notifications:mailroom_return"), {"reference": reference.lower()}, follow=True)
    mistyped = reference[:-1] + ("1" if reference[-1] == "0" else "0")
    typo = client.post(reverse("notifications:mailroom_return"), {"reference": mistyped}, follow=True)

    batch.refresh_from_db()
    assert batch.state == PrintBatch.State.POSTED
    assert batch.posted_on.isoformat() == today
    assert f"Courrier {reference} enregistré comme retourné" in returned.content.decode()
    assert "référence de courrier n&#x27;est pas valide" in typo.content.decode()
    letter = Notice.objects.get(reference=reference)
    assert letter.state == NoticeState.RETURNED
    assert Notice.objects.filter(subject_id=letter.subject_id, channel="email").count() == 1


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_mailroom_flow_in_a_browser(browser_page, live_server, informed_file, lab_dpo, mailroom_operator):
    campaigns.launch_campaign(breach_file=informed_file, user=lab_dpo, channels="post")
    batch = mailroom.build_print_batches(campaign_id=Campaign.objects.get().pk)[0]
    page = browser_page
    log_in(page, live_server, mailroom_operator.username)
    page.goto(f"{live_server.url}{reverse('notifications:mailroom')}")
    row = page.locator(f'tr[data-batch="{batch.label}"]')

    with page.expect_download() as download:
        row.get_by_role("link", name="PDF").click()
    assert download.value.suggested_filename == f"batch-{batch.label}.pdf"
    with open(download.value.path(), "rb") as handle:
        assert handle.read(5) == b"%PDF-"
    row.get_by_role("button").click()
    page.locator(f'tr[data-batch="{batch.label}"] input[name=posted_on]').wait_for()
    page.locator(f'tr[data-batch="{batch.label}"] button').click()
    assert page.locator("[data-testid=posted-letters]").inner_text() == str(batch.letters)
    page.check("input[name=confirm]")
    page.click("[data-testid=confirm-posted]")
    page.locator(f'tr[data-batch="{batch.label}"] .badge').filter(has_text="Post").wait_for()
    reference = batch.notices.order_by("pk").first().reference
    page.fill("input[name=reference]", reference)
    page.press("input[name=reference]", "Enter")
    page.locator(".messages li").filter(has_text=reference).wait_for()

    batch.refresh_from_db()
    assert batch.state == PrintBatch.State.POSTED
    assert Notice.objects.get(reference=reference).state == NoticeState.RETURNED


def test_marking_a_batch_posted_shows_what_it_records_and_waits_for_the_confirmation(client, batch, mailroom_operator):
    client.login(username=mailroom_operator.username, password=PASSWORD)
    urls = _batch_urls(batch)
    client.post(urls["printed"])
    today = timezone.localdate().isoformat()
    persons = batch.notices.values("subject").distinct().count()

    page = client.get(urls["posted"], {"posted_on": today})
    unconfirmed = client.post(urls["posted"], {"posted_on": today})
    unticked = client.post(urls["posted"], {"posted_on": today, "confirming": "1"})

    html = page.content.decode()
    assert batch.label in html
    assert f'data-testid="posted-letters">{batch.letters}<' in html
    assert f"Les {batch.letters} courriers imprimés passent à «\u00a0posté\u00a0»" in html
    assert f"pour chacune des {persons} personnes" in html
    assert f'value="{today}"' in html
    assert 'data-testid="posted-preview"' in unconfirmed.content.decode()
    assert "Ce champ est obligatoire" in unticked.content.decode()
    batch.refresh_from_db()
    assert batch.state == PrintBatch.State.PRINTED
    assert not batch.notices.filter(state=NoticeState.POSTED).exists()

    confirmed = client.post(urls["posted"], {"posted_on": today, "confirming": "1", "confirm": "on"})

    batch.refresh_from_db()
    assert confirmed.status_code == 302
    assert batch.state == PrintBatch.State.POSTED
    assert batch.notices.filter(state=NoticeState.POSTED).count() == batch.letters


def test_a_batch_of_a_breach_file_without_campaign_cannot_exist_and_bad_ids_are_404(client, mailroom_operator, lab):
    BreachFileFactory(controller=lab)
    client.login(username=mailroom_operator.username, password=PASSWORD)

    assert client.get(reverse("notifications:mailroom_batch_pdf", args=[999999])).status_code == 404
