"""In a real browser: the field-by-field page a DPO copies into the CNIL teleservice."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from notifications.services import filings
from tests.conftest import log_in
from tests.notifications.conftest import fill_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def filed_twice(breach_file, lab_dpo):
    """An initial filing recorded with the CNIL, then a complementary one with two changes."""
    fill_in(breach_file)
    initial = filings.prepare_filing(breach_file=breach_file, kind="initial", user=lab_dpo)
    filings.generate_filing_dossier(filing_id=initial.pk)
    filings.record_submission(
        filing=initial, user=lab_dpo, submitted_at=timezone.now() - timedelta(hours=1), case_number="CNIL-2021-004217"
    )
    breach_file.refresh_from_db()
    breach_file.approximate_persons = 19002
    breach_file.measures_long_term = "Chiffrement des exports et revue annuelle du sous-traitant."
    breach_file.save()
    complementary = filings.prepare_filing(breach_file=breach_file, kind="complementary", user=lab_dpo)
    filings.generate_filing_dossier(filing_id=complementary.pk)
    return complementary


def test_the_dpo_copies_each_field_into_the_teleservice_and_sees_what_changed(browser_page, live_server, filed_twice):
    page = browser_page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    log_in(page, live_server, "dpo.rennes")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/files/INC-2021-0001/LAB-RENNES/filings/2/")

    assert page.locator("[data-testid=initial-case]").inner_text() == "CNIL-2021-004217"
    sections = page.locator(".tele-section legend").all_inner_texts()
    assert sections[0] == "1. Type de notification"
    assert "17. Traitement transfrontalier" in sections
    assert sections[-1] == "Annexe — évaluation de la gravité (méthode ENISA)"
    changes = page.locator("[data-testid=changes] tbody tr")
    assert changes.count() == 2
    assert "18216" in changes.nth(0).inner_text() and "19002" in changes.nth(0).inner_text()
    changed_field = page.locator('.tele-field[data-key="persons.count"]')
    assert "changed" in (changed_field.get_attribute("class") or "")
    assert changed_field.locator(".tele-value").inner_text() == "19002"

    total = int(page.locator("[data-testid=field-count]").inner_text())
    assert total == page.locator(".tele-field").count() > 40
    assert page.locator("[data-testid=copied-count]").inner_text() == "0"

    changed_field.locator("button.copy").click()
    expect(page.locator("[data-testid=copied-count]")).to_have_text("1")
    assert page.evaluate("navigator.clipboard.readText()") == "19002"
    categories = page.locator('.tele-field[data-key="data.categories"]')
    categories.locator("button.copy").click()
    expect(page.locator("[data-testid=copied-count]")).to_have_text("2")
    assert page.evaluate("navigator.clipboard.readText()").splitlines() == [
        "État civil, identité, données d'identification",
        "Numéro de sécurité sociale (NIR)",
        "Coordonnées (adresse postale, téléphone, e-mail)",
        "Données de santé (catégorie particulière)",
    ]
    # The ticks survive a reload: the DPO may copy across several sittings.
    page.reload()
    expect(page.locator("[data-testid=copied-count]")).to_have_text("2")
    assert "copied" in (page.locator('.tele-field[data-key="persons.count"]').get_attribute("class") or "")
    tick = page.locator('.tele-field[data-key="persons.count"] .tele-label').evaluate(
        "element => getComputedStyle(element, '::before').content"
    )
    assert "✓" in tick

    pdf = page.request.get(f"{live_server.url}/files/INC-2021-0001/LAB-RENNES/filings/2/dossier.pdf")
    assert pdf.status == 200 and pdf.body().startswith(b"%PDF")
    if os.environ.get("BREACHDESK_SCREENSHOTS"):
        page.screenshot(path=os.path.join(os.environ["BREACHDESK_SCREENSHOTS"], "filing.png"), full_page=True)


def test_a_missing_item_links_to_the_field_to_fill_in(browser_page, live_server, breach_file, lab_dpo):
    filings.prepare_filing(breach_file=breach_file, kind="initial", user=lab_dpo)
    page = browser_page
    log_in(page, live_server, "dpo.rennes")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/files/INC-2021-0001/LAB-RENNES/filings/1/")
    missing = page.locator('.tele-field[data-key="measures.immediate"]')
    assert "missing" in (missing.get_attribute("class") or "")
    assert missing.locator(".unknown").inner_text() == "Non connu à ce jour"
    page.click("[data-testid=missing] a:has-text('Mesures immédiates')")
    page.wait_for_url("**/files/INC-2021-0001/LAB-RENNES/edit/#id_measures_immediate")
    assert page.locator("#id_measures_immediate").is_visible()


def test_the_dpo_sees_the_arithmetic_while_choosing_then_records_the_assessment(
    browser_page, live_server, breach_file, lab_dpo
):
    from tests.factories import DataSubjectFactory

    DataSubjectFactory(breach_file=breach_file, exposures=["identity", "contact"])
    DataSubjectFactory(breach_file=breach_file, exposures=["identity", "contact", "nir", "hiv"])
    page = browser_page
    log_in(page, live_server, "dpo.rennes")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/files/INC-2021-0001/LAB-RENNES/risk/")
    preview = page.locator("[data-testid=preview]")
    # Proposed from the imported subjects: everything they exposed, name with NIR so maximum EI.
    assert preview.inner_text().startswith("SE = DPC × EI + CB = 4 × 1 + (0,5 + 0 + 0 + 0) = 4,5 → Très élevé")  # noqa: RUF001
    page.check("input[name=is_malicious]")
    assert preview.inner_text().startswith("SE = DPC × EI + CB = 4 × 1 + (0,5 + 0 + 0 + 0,5) = 5 → Très élevé")  # noqa: RUF001
    page.uncheck("input[name=exposures][value=hiv]")
    page.check("input[name=identification][value=limited]")
    assert preview.inner_text() == "SE = DPC × EI + CB = 2 × 0,5 + (0,5 + 0 + 0 + 0,5) = 2 → Moyen"  # noqa: RUF001
    page.check("input[name=exposures][value=hiv]")
    page.click("form.risk-form button[type=submit]")
    page.wait_for_selector("[data-testid=score-card]")
    recorded = page.locator("[data-testid=arithmetic]").inner_text()
    assert recorded == "SE = DPC × EI + CB = 4 × 0,5 + (0,5 + 0 + 0 + 0,5) = 3 → élevé"  # noqa: RUF001
    levels = page.locator("[data-testid=subject-levels] tbody tr")
    assert levels.count() == 2
