"""The breach file page shows the whole case in sections; the edit form has the same sections, with the same anchors."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import translation

from breachdesk import services
from breachdesk.sections import SECTIONS
from breachdesk.timeline import TimelineKind, describe

pytestmark = pytest.mark.django_db


def _urls(breach_file) -> tuple[str, str]:
    args = [breach_file.incident.reference, breach_file.controller.code]
    return reverse("breach_file_detail", args=args), reverse("breach_file_edit", args=args)


def _described(breach_file):
    breach_file.narrative = "Un export de migration a été copié depuis un serveur de transfert."
    breach_file.data_categories = ["civil_status", "nir", "health"]
    breach_file.consequences = ["identity_theft"]
    breach_file.mitigation_measures = "Ligne d'écoute ouverte aux patients."
    breach_file.security_measures_before = "Chiffrement des postes."
    breach_file.save()
    return breach_file


def test_each_section_of_the_page_has_an_edit_link_to_the_same_section_of_the_form(client, lab_dpo, breach_file):
    detail, edit = _urls(breach_file)
    client.force_login(lab_dpo)
    page = client.get(detail).content.decode()
    form = client.get(edit).content.decode()
    keys = [section.key for section in SECTIONS]
    assert re.findall(r'<section class="panel case-section" id="([\w-]+)"', page) == keys
    assert re.findall(r'<fieldset class="case-fieldset" id="([\w-]+)"', form) == keys
    for key in keys:
        assert f'href="{edit}#{key}" data-testid="edit-{key}"' in page


def test_the_page_tells_the_case_in_the_reader_language_with_labels_not_codes(client, compliance_officer, breach_file):
    _described(breach_file)
    detail, _edit = _urls(breach_file)
    client.force_login(compliance_officer)
    french = client.get(detail).content.decode()
    for text in [
        "Nature et circonstances",
        "Perte de confidentialité",
        "Piratage, logiciel malveillant, hameçonnage",
        "Numéro de sécurité sociale (NIR)",
        "Usurpation d&#x27;identité",
        "Ligne d&#x27;écoute ouverte aux patients.",
        "Chiffrement des postes.",
    ]:
        assert text in french, text
    assert "external_malicious" not in french
    client.cookies["django_language"] = "en"
    try:
        english = client.get(detail).content.decode()
    finally:
        # The locale middleware leaves the reader's language active in the thread.
        translation.deactivate()
    for text in ["Nature and circumstances", "Loss of confidentiality", "Identity theft", "Likely consequences"]:
        assert text in english, text
    assert "Perte de confidentialité" not in english


def test_what_the_cnil_asks_and_is_not_known_yet_is_listed_with_a_link_to_its_section(client, lab_dpo, breach_file):
    breach_file.origin = "unknown"
    breach_file.save()
    detail, edit = _urls(breach_file)
    client.force_login(lab_dpo)
    response = client.get(detail)
    unknown = {entry.name for _section, entry in response.context["unknown"]}
    assert {"origin", "approximate_persons", "approximate_records", "data_categories", "started_at"} <= unknown
    # Known, or not asked: never listed.
    assert not {"cause", "natures", "person_categories", "late_awareness_reason", "is_ongoing"} & unknown
    html = response.content.decode()
    assert f'<a href="{edit}#nature">Origine</a>' in html
    assert f'<a href="{edit}#persons">Nombre approximatif de personnes</a>' in html


def test_an_ongoing_breach_shows_no_end_date_as_unknown(client, lab_dpo, breach_file):
    breach_file.is_ongoing = True
    breach_file.save()
    client.force_login(lab_dpo)
    response = client.get(_urls(breach_file)[0])
    assert "ended_at" not in {entry.name for _section, entry in response.context["unknown"]}


def test_the_form_shows_the_status_and_notification_read_only_and_points_to_the_filings(client, lab_dpo, breach_file):
    breach_file.status = "assessed"
    breach_file.save()
    _detail, edit = _urls(breach_file)
    client.force_login(lab_dpo)
    response = client.get(edit)
    html = response.content.decode()
    assert 'name="status"' not in html
    assert 'name="authority_notified_at"' not in html
    readonly = html.split('data-testid="notification-readonly"', 1)[1].split("</dl>", 1)[0]
    assert "Évaluée" in readonly
    filings = reverse("notifications:filings", args=[breach_file.incident.reference, breach_file.controller.code])
    assert f'href="{filings}"' in html
    # The reasons for a delay stay editable: the CNIL filing's completeness check links here for them.
    assert 'name="delay_reasons"' in html


def test_the_opening_of_a_breach_file_is_told_in_the_reader_language(lab_dpo, breach_file):
    event = services.record_event(
        breach_file=breach_file, kind=TimelineKind.OPENED, actor=lab_dpo, params={"others": 2}
    )
    with translation.override("en"):
        assert describe(event) == "Breach file opened in BreachDesk, with 2 other controllers of the incident."
    with translation.override("fr"):
        assert describe(event) == (
            "Dossier de violation ouvert dans BreachDesk, avec 2 autres responsables du traitement de l'incident."
        )
    alone = services.record_event(breach_file=breach_file, kind=TimelineKind.OPENED, params={"others": 0})
    with translation.override("en"):
        assert describe(alone) == "Breach file opened in BreachDesk."
