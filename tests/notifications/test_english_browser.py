"""In a real browser: a DPO who reads English meets no French on the breach file page, its timeline and its panels."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from breachdesk import assessment
from notifications.services import campaigns, filings, notice_texts
from tests.conftest import log_in
from tests.notifications.campaign_fixtures import make_subjects
from tests.notifications.conftest import fill_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Words of the French interface (labels, states, timeline steps, dates); none is English.
FRENCH_MARKERS = (
    "Échéance",
    "échéance",
    "Dossier de violation",
    "dossiers de violation",
    "Personnes concernées",
    "personnes concernées",
    "Prise de connaissance",
    "Notifiée",
    "notifiée",
    "Décision",
    "décision",
    "Risque",
    "Très élevé",
    "élevé",
    "autorité de contrôle",
    "Chronologie",
    "Courrier",
    "courriers",
    "Lancement",
    "lancée",
    "Modifier",
    "Importer",
    "heure de Paris",
    "inconnu",
    "Injoignables",
    "Aucun",
    "Oui",
    "Non connu",
    " : ",
    "décembre",
    "janvier",
    "lundi",
    "mardi",
)
# Letters French has and English text does not (the names typed below have none).
FRENCH_LETTERS = re.compile("[éèêàâçôûîœ«»]")


@pytest.fixture
def english_case(breach_file, lab_dpo, monkeypatch):
    """A breach file whose people wrote in English, assessed, decided, filed and launched: every timeline step."""
    monkeypatch.setattr(campaigns, "wake_campaign", lambda campaign_id: None)
    lab = breach_file.controller
    lab.name, lab.sector, lab.address = "Rennes Laboratory", "Medical biology", "1 Peace Street\n35000 Rennes"
    lab.save()
    incident = breach_file.incident
    incident.title = "Patient file published by the software vendor"
    incident.description = "A patient file was published online."
    incident.processor_account = "A migration export was copied from a transfer server."
    incident.processor_measures = "Transfer server closed, exports deleted."
    incident.save()
    processor = incident.processor
    processor.name, processor.sector, processor.address = "Lab Software Ltd", "Software", "2 Main Street\n35510 Cesson"
    processor.save()
    fill_in(breach_file)
    for name in (
        "discovery_circumstances",
        "narrative",
        "security_measures_before",
        "mitigation_measures",
        "origin_detail",
        "consequences_detail",
        "measures_immediate",
        "measures_medium_term",
        "measures_long_term",
    ):
        setattr(breach_file, name, f"Written in English: {name.replace('_', ' ')}.")
    breach_file.became_aware_at -= timedelta(hours=1)
    breach_file.save()
    make_subjects(breach_file, 6, email=True, post=True, language="en")
    assessment.assess_risk(
        breach_file=breach_file,
        user=lab_dpo,
        exposures=["identity", "contact", "nir", "hiv", "test_results"],
        identification="maximum",
        confidentiality="unknown_recipients",
        integrity="none",
        availability="none",
        is_malicious=True,
        notes="Published online.",
    )
    assessment.record_decision(
        breach_file=breach_file, user=lab_dpo, kind="notify_authority", outcome="notify", rationale="Health data."
    )
    assessment.record_decision(
        breach_file=breach_file,
        user=lab_dpo,
        kind="inform_subjects",
        outcome="inform",
        levels=["high", "very_high"],
        rationale="High risk for the patients.",
    )
    filings.prepare_filing(breach_file=breach_file, kind="initial", user=lab_dpo)
    values = {section: f"English {section}." for section in notice_texts.SECTIONS}
    campaigns.save_notice_text(breach_file=breach_file, language="en", values=values, user=lab_dpo)
    campaigns.record_letter_choices(
        breach_file=breach_file,
        adolescent_addressee="both",
        reason="Both are told.",
        sensitive_detail="omit",
        user=lab_dpo,
    )
    campaigns.launch_campaign(breach_file=breach_file, user=lab_dpo, channels="post,email")
    return breach_file


# French proper names an English page names as they are (the recipient of the CSP L.1111-8-2 declaration).
PROPER_NAMES = ("Portail de signalement des événements sanitaires indésirables", "CERT Santé")


def _french_in(text: str) -> list[str]:
    for name in PROPER_NAMES:
        text = text.replace(name, "")
    found = [marker for marker in FRENCH_MARKERS if marker in text]
    found += sorted({match.group() for match in FRENCH_LETTERS.finditer(text)})
    return found


def test_an_english_session_shows_no_french_on_the_breach_file_page_and_its_timeline(
    browser_page, live_server, english_case
):
    page = browser_page
    log_in(page, live_server, "dpo.rennes")
    page.wait_for_url(f"{live_server.url}/")
    with page.expect_navigation():
        page.select_option("select[name=language]", "en")

    page.goto(f"{live_server.url}/files/INC-2021-0001/LAB-RENNES/")

    assert page.evaluate("document.documentElement.lang") == "en"
    timeline = page.locator(".timeline li").all_inner_texts()
    assert len(timeline) >= 6
    assert any("Decision" in entry for entry in timeline)
    assert any("launched" in entry for entry in timeline)
    # The menu names French in French, on purpose: the only French word a reader of English may see.
    text = page.locator("main").inner_text()
    assert _french_in(text) == [], _french_in(text)
    for path in ("campaign/", "filings/", "risk/"):
        page.goto(f"{live_server.url}/files/INC-2021-0001/LAB-RENNES/{path}")
        text = page.locator("main").inner_text()
        if path == "campaign/":
            # The French letter's own text is French: it is what French readers get.
            text = text.replace(page.locator("#text-fr").inner_text(), "")
        assert _french_in(text) == [], (path, _french_in(text))
