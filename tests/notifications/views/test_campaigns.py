# ruff: noqa: F811  (pytest fixtures imported from campaign_fixtures)
"""The DPO's campaign pages, against every persona: who sees, who acts, 404 for the others."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.urls import reverse

from breachdesk.models import AuditEvent
from notifications.delivery import Outcome
from notifications.models import Campaign, Notice, NoticeState, NoticeText
from notifications.selectors import exports
from notifications.services import campaigns, ledger, notice_texts
from tests.conftest import PASSWORD
from tests.notifications.campaign_fixtures import decide_to_inform, informed_file, make_subjects  # noqa: F401

READERS = ["lab_dpo", "compliance_officer", "admin_user"]
OUTSIDERS = ["other_lab_dpo", "mailroom_operator", "user_without_role"]
EDITORS = ["lab_dpo", "admin_user"]
NOT_EDITORS = ["compliance_officer", "other_lab_dpo", "mailroom_operator", "user_without_role"]


def _url(name: str, breach_file, query: str = "") -> str:
    return reverse(f"notifications:{name}", args=[breach_file.incident.reference, breach_file.controller.code]) + query


def _client(client, request, persona: str):
    user = request.getfixturevalue(persona)
    client.login(username=user.username, password=PASSWORD)
    return user


@pytest.fixture
def launched(informed_file, lab_dpo):
    campaigns.launch_campaign(breach_file=informed_file, user=lab_dpo, channels="post,email")
    return informed_file


GET_VIEWS = [
    ("campaign", ""),
    ("campaign_preview", "?language=fr"),
    ("campaign_progress", ""),
    ("campaign_ledger", ""),
]


@pytest.mark.parametrize("persona", READERS)
@pytest.mark.parametrize("name, query", GET_VIEWS)
def test_readers_of_the_breach_file_see_the_campaign_pages(client, request, launched, persona, name, query):
    _client(client, request, persona)

    response = client.get(_url(name, launched, query))

    assert response.status_code == 200
    if name != "campaign":
        assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("persona", OUTSIDERS)
@pytest.mark.parametrize("name, query", GET_VIEWS)
def test_other_personas_get_a_404_on_the_campaign_pages(client, request, launched, persona, name, query):
    _client(client, request, persona)

    assert client.get(_url(name, launched, query)).status_code == 404


@pytest.mark.parametrize("name, query", GET_VIEWS)
def test_anonymous_visitors_are_sent_to_the_login_page(client, launched, name, query):
    response = client.get(_url(name, launched, query))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def _text_post(language="fr", **overrides):
    values = {section: f"Texte {section}" for section in notice_texts.SECTIONS}
    values.update(overrides)
    return {"language": language, f"{language}-language": language, **{f"{language}-{k}": v for k, v in values.items()}}


@pytest.mark.parametrize("persona", EDITORS)
def test_the_dpo_edits_the_text_and_launches(
    client, request, informed_file, persona, eager_tasks, django_capture_on_commit_callbacks
):
    _client(client, request, persona)

    confirmed = {"channels": ["post", "email"], "persons": "12"}
    saved = client.post(_url("campaign_text", informed_file), _text_post())
    refused = client.post(_url("campaign_launch", informed_file), confirmed, follow=True)
    client.post(_url("campaign_text", informed_file), _text_post("en"))
    with django_capture_on_commit_callbacks(execute=True):
        launched = client.post(_url("campaign_launch", informed_file), confirmed, follow=True)
    with django_capture_on_commit_callbacks(execute=True):
        again = client.post(_url("campaign_launch", informed_file), confirmed, follow=True)

    assert saved.status_code == 302
    # English readers exist and only the French text was written: the launch says so, with a link to the form.
    assert "Anglais" in refused.content.decode()
    assert f'href="{_url("campaign", informed_file)}#text-en"' in refused.content.decode()
    assert 'data-testid="launch-refused"' in refused.content.decode()
    assert NoticeText.objects.get(breach_file=informed_file, language="fr").what_happened == "Texte what_happened"
    assert "8 courriers et 8 e-mails" in launched.content.decode()
    assert "rien de nouveau" in again.content.decode()
    assert Campaign.objects.get().texts["fr"]["advice"] == "Texte advice"
    assert Notice.objects.count() == 16


def _texts_saved(informed_file, lab_dpo):
    for language in ("fr", "en"):
        values = {section: f"Texte {section}" for section in notice_texts.SECTIONS}
        campaigns.save_notice_text(breach_file=informed_file, language=language, values=values, user=lab_dpo)


def test_the_launch_asks_first_with_the_numbers_per_language(client, informed_file, lab_dpo):
    _texts_saved(informed_file, lab_dpo)
    client.login(username=lab_dpo.username, password=PASSWORD)

    page = client.get(_url("campaign_launch", informed_file, "?channels=post&channels=email"))

    html = page.content.decode()
    assert page.status_code == 200
    assert "12 personnes concernées sont couvertes par la décision d'informer." in html
    assert 'data-testid="letters-fr">7<' in html and 'data-testid="emails-fr">7<' in html
    assert 'data-testid="letters-en">1<' in html and 'data-testid="emails-en">1<' in html
    assert 'data-testid="letters-total">8<' in html and 'data-testid="emails-total">8<' in html
    assert "1 personne concernée ne peut être jointe" in html
    assert "le texte enregistré le" in html
    assert not Campaign.objects.exists()


def test_a_launch_without_the_typed_number_or_with_another_launches_nothing(client, informed_file, lab_dpo):
    _texts_saved(informed_file, lab_dpo)
    client.login(username=lab_dpo.username, password=PASSWORD)

    unconfirmed = client.post(_url("campaign_launch", informed_file), {"channels": ["post", "email"]})
    mistyped = client.post(_url("campaign_launch", informed_file), {"channels": ["post", "email"], "persons": "11"})

    assert unconfirmed.status_code == 200 and 'data-testid="launch-preview"' in unconfirmed.content.decode()
    assert "Tapez 12" in mistyped.content.decode()
    assert not Campaign.objects.exists()
    assert not Notice.objects.exists()


def test_the_typed_number_launches_what_the_page_announced(
    client, informed_file, lab_dpo, eager_tasks, django_capture_on_commit_callbacks
):
    _texts_saved(informed_file, lab_dpo)
    client.login(username=lab_dpo.username, password=PASSWORD)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_url("campaign_launch", informed_file), {"channels": ["post", "email"], "persons": "12"})

    assert response.status_code == 302
    assert Notice.objects.filter(channel="post").count() == 8
    assert Notice.objects.filter(channel="email").count() == 8


def test_a_relaunch_with_another_channel_counts_only_what_it_adds(client, informed_file, lab_dpo):
    _texts_saved(informed_file, lab_dpo)
    campaigns.launch_campaign(breach_file=informed_file, user=lab_dpo, channels="post")
    client.login(username=lab_dpo.username, password=PASSWORD)

    html = client.get(_url("campaign_launch", informed_file, "?channels=email")).content.decode()

    assert 'data-testid="letters-total">0<' in html and 'data-testid="emails-total">8<' in html
    assert "8 envois figurent déjà au registre des envois" in html
    assert html.count("figé le") == 2  # French and English readers: both texts frozen at the first launch


@pytest.mark.parametrize("persona", NOT_EDITORS)
def test_only_the_dpo_and_admins_see_what_a_launch_would_do(client, request, informed_file, persona):
    _client(client, request, persona)

    assert client.get(_url("campaign_launch", informed_file, "?channels=post")).status_code == 404


@pytest.mark.parametrize("persona", NOT_EDITORS)
@pytest.mark.parametrize("name", ["campaign_text", "campaign_launch", "campaign_unknown"])
def test_only_the_dpo_and_admins_act_on_the_campaign(client, request, informed_file, persona, name):
    _client(client, request, persona)

    response = client.post(
        _url(name, informed_file), {**_text_post(), "channels": ["post"], "notice": ["1"], "decision": "accept"}
    )

    assert response.status_code == 404
    assert not Campaign.objects.exists()
    assert not NoticeText.objects.exists()


def test_launching_without_a_decision_says_why(client, breach_file, lab_dpo):
    make_subjects(breach_file, 2)
    client.login(username=lab_dpo.username, password=PASSWORD)

    response = client.post(_url("campaign_launch", breach_file), {"channels": ["post"], "persons": "0"}, follow=True)

    assert "Aucune décision d&#x27;informer les personnes concernées (art. 34)" in response.content.decode()
    assert not Campaign.objects.exists()


def test_the_page_lists_unreachable_people_and_unknown_emails_for_a_decision(client, launched, lab_dpo):
    campaign = Campaign.objects.get()
    claim = ledger.claim_emails(campaign_id=campaign.pk, limit=1)
    ledger.record_email_outcomes(
        claim=claim, outcomes={claim.notices[0].pk: (Outcome.UNKNOWN, "connection lost after the data")}
    )
    client.login(username=lab_dpo.username, password=PASSWORD)

    page = client.get(_url("campaign", launched)).content.decode()

    assert claim.notices[0].reference in page
    assert "Ni adresse postale ni adresse e-mail" in page
    response = client.post(_url("campaign_unknown", launched), {"notice": [claim.notices[0].pk], "decision": "accept"})
    assert response.status_code == 302
    assert Notice.objects.get(pk=claim.notices[0].pk).state == NoticeState.SENT


def test_progress_json_counts_per_channel_and_state(client, launched, lab_dpo):
    client.login(username=lab_dpo.username, password=PASSWORD)

    data = client.get(_url("campaign_progress", launched)).json()

    assert data["launched"] is True
    assert data["total"] == 16
    assert data["channels"]["email"]["states"][0] == {"state": "pending", "label": "En attente", "count": 8}


def test_progress_json_before_launch(client, informed_file, lab_dpo):
    client.login(username=lab_dpo.username, password=PASSWORD)

    assert client.get(_url("campaign_progress", informed_file)).json() == {"launched": False}


def test_the_ledger_export_is_the_per_person_proof_and_spreadsheet_safe(client, informed_file, lab_dpo):
    subjects = make_subjects(informed_file, 1, start=90, email=True, post=False)
    personal = subjects[-1].personal
    personal.patient_ref = '=HYPERLINK("http://evil")'
    subjects[-1].personal = personal
    subjects[-1].save()
    campaigns.launch_campaign(breach_file=informed_file, user=lab_dpo, channels="post,email")
    client.login(username=lab_dpo.username, password=PASSWORD)

    response = client.get(_url("campaign_ledger", informed_file))
    body = b"".join(response.streaming_content).decode("utf-8")
    rows = list(csv.reader(io.StringIO(body.removeprefix("\ufeff"), newline=""), delimiter=";"))

    assert body.startswith("\ufeff") and body.count("\r\n") == len(rows)
    assert rows[0] == exports.ledger_header(language="fr")
    assert rows[0][:7] == [
        "N° d'envoi",
        "Référence",
        "N° de personne concernée",
        "Référence patient",
        "Canal",
        "Origine",
        "État",
    ]
    assert len(rows) == 1 + Notice.objects.count()
    assert any(row[3] == '\'=HYPERLINK("http://evil")' for row in rows[1:])
    # Labels, not codes; Paris time a French spreadsheet reads as a date.
    assert {row[4] for row in rows[1:]} == {"Courrier", "E-mail"}
    assert {row[6] for row in rows[1:]} == {"En attente"}
    assert all(re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d:\d\d", row[8]) for row in rows[1:])
    assert AuditEvent.objects.filter(action="export", object_type="notice_ledger").exists()


def test_the_preview_is_a_pdf_of_the_current_text(client, informed_file, lab_dpo):
    client.login(username=lab_dpo.username, password=PASSWORD)
    client.post(_url("campaign_text", informed_file), _text_post(language="en"))

    response = client.get(_url("campaign_preview", informed_file, "?language=en"))

    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert client.get(_url("campaign_preview", informed_file, "?language=de")).status_code == 404


def test_the_campaign_panel_shows_progress_on_the_breach_file_page(rf, launched, lab_dpo):
    from django.template.loader import render_to_string

    request = rf.get("/")
    request.user = lab_dpo
    html = render_to_string(
        "notifications/_campaign_panel.html", {"breach_file": launched, "user": lab_dpo}, request=request
    )

    assert "campaign-progress" in html
    assert _url("campaign", launched) in html
    assert 'data-channel="post"' in html


def test_a_decision_that_covers_nobody_yet_says_so_beside_a_disabled_launch(client, breach_file, lab_dpo):
    decide_to_inform(breach_file, lab_dpo)
    client.login(username=lab_dpo.username, password=PASSWORD)

    html = client.get(_url("campaign_launch", breach_file, "?channels=post")).content.decode()
    refused = client.post(_url("campaign_launch", breach_file), {"channels": ["post"], "persons": "0"})

    assert "0 personne concernée est couverte" in html
    assert "ne couvre encore aucune personne concernée" in html and "disabled" in html
    assert refused.status_code == 200
    assert not Campaign.objects.exists()


@pytest.fixture
def many_unknown(breach_file, lab_dpo):
    """A campaign of 60 emails whose connection broke after the data: more than one page of unknown fates."""
    make_subjects(breach_file, 60, email=True, post=False)
    decide_to_inform(breach_file, lab_dpo)
    campaigns.launch_campaign(breach_file=breach_file, user=lab_dpo, channels="email")
    claim = ledger.claim_emails(campaign_id=Campaign.objects.get().pk, limit=100)
    ledger.record_email_outcomes(
        claim=claim,
        outcomes={notice.pk: (Outcome.UNKNOWN, "connection lost after the data") for notice in claim.notices},
    )
    return list(Notice.objects.filter(state=NoticeState.UNKNOWN).order_by("pk"))


def test_every_unknown_email_is_reachable_page_by_page(client, breach_file, lab_dpo, many_unknown):
    client.login(username=lab_dpo.username, password=PASSWORD)

    first = client.get(_url("campaign", breach_file)).content.decode()
    second = client.get(_url("campaign", breach_file, "?unknown=2")).content.decode()

    assert many_unknown[0].reference in first and many_unknown[49].reference in first
    assert many_unknown[50].reference not in first
    assert all(notice.reference in second for notice in many_unknown[50:])
    assert "2 / 2 (60)" in second
    assert "Les 60 e-mails à l'envoi incertain, sur toutes les pages" in first


def test_a_decision_on_the_emails_ticked_moves_only_those_and_is_audited(client, breach_file, lab_dpo, many_unknown):
    client.login(username=lab_dpo.username, password=PASSWORD)
    ticked = [notice.pk for notice in many_unknown[50:53]]

    response = client.post(
        _url("campaign_unknown", breach_file),
        {"scope": "selected", "page": "2", "notice": ticked, "decision": "resend"},
    )

    assert response.status_code == 302
    assert response["Location"].endswith("?unknown=2#unknown")
    assert sorted(Notice.objects.filter(state=NoticeState.PENDING).values_list("pk", flat=True)) == ticked
    assert Notice.objects.filter(state=NoticeState.UNKNOWN).count() == 57
    assert AuditEvent.objects.filter(user=lab_dpo, detail="unknown resend x3").exists()


def test_a_decision_on_all_unknown_emails_needs_their_number_typed(client, breach_file, lab_dpo, many_unknown):
    client.login(username=lab_dpo.username, password=PASSWORD)
    url = _url("campaign_unknown", breach_file)

    refused = client.post(url, {"scope": "all", "count": "50", "decision": "accept"}, follow=True)

    assert (
        "Saisissez 60, le nombre d&#x27;e-mails à l&#x27;envoi incertain\u00a0: rien n&#x27;a été modifié."
        in refused.content.decode()
    )
    assert Notice.objects.filter(state=NoticeState.UNKNOWN).count() == 60

    client.post(url, {"scope": "all", "count": "60", "decision": "accept"})

    assert Notice.objects.filter(state=NoticeState.UNKNOWN).count() == 0
    assert Notice.objects.filter(state=NoticeState.SENT).count() == 60
    assert AuditEvent.objects.filter(user=lab_dpo, detail="unknown accepted x60 (all)").exists()


def test_a_decision_without_any_email_ticked_changes_nothing(client, breach_file, lab_dpo, many_unknown):
    client.login(username=lab_dpo.username, password=PASSWORD)

    response = client.post(
        _url("campaign_unknown", breach_file), {"scope": "selected", "decision": "resend"}, follow=True
    )

    assert "Sélectionnez les e-mails et l&#x27;action à effectuer." in response.content.decode()
    assert Notice.objects.filter(state=NoticeState.UNKNOWN).count() == 60


def test_a_decision_on_many_emails_with_long_ids_fits_the_audit_entry(client, breach_file, lab_dpo, many_unknown):
    # Ids of a real ledger run to six or seven digits: the audit entry names as many as fit, and counts them all.
    client.login(username=lab_dpo.username, password=PASSWORD)
    Notice.objects.filter(pk__in=[notice.pk for notice in many_unknown]).update(state=NoticeState.SENT)
    big = []
    for offset in range(12):
        copy = Notice.objects.get(pk=many_unknown[offset].pk)
        copy.pk = 1_000_000 + offset
        copy.reference = f"{copy.reference}-{offset}"
        copy.resend_of_id = many_unknown[offset].pk
        copy.state = NoticeState.UNKNOWN
        copy.save(force_insert=True)
        big.append(copy.pk)

    response = client.post(
        _url("campaign_unknown", breach_file), {"scope": "selected", "notice": big, "decision": "accept"}
    )

    assert response.status_code == 302
    entry = AuditEvent.objects.get(user=lab_dpo, detail="unknown accepted x12")
    assert entry.object_id == ",".join(str(pk) for pk in big[:5])
