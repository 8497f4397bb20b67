"""In a real browser: a DPO decides whether NIS2 applies and records the ARS declaration (issue 12)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from breachdesk.models import ObligationDecision, PhaseSubmission
from tests.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_dpo_decides_nis2_and_records_the_ars_declaration(browser_page, live_server, breach_file, lab_dpo):
    breach_file.became_aware_at = timezone.now() - timedelta(hours=10)
    breach_file.discovered_at = breach_file.became_aware_at
    breach_file.save()
    page = browser_page
    log_in(page, live_server, "dpo.rennes")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/files/INC-2021-0001/LAB-RENNES/obligations/")

    nis2 = page.locator('tr[data-regime="nis2_art23"][data-phase="early_warning"]')
    assert nis2.get_attribute("data-state") == "not_decided"
    nis2.locator("summary", has_text="Décider").click()
    nis2.locator("select[name=applicability]").select_option("applies")
    nis2.locator("textarea[name=reason]").fill("Groupe de plus de 250 salariés : entité importante (annexe I).")
    nis2.get_by_role("button", name="Enregistrer la décision").click()
    page.wait_for_load_state()
    nis2 = page.locator('tr[data-regime="nis2_art23"][data-phase="early_warning"]')
    assert nis2.get_attribute("data-state") == "due"
    assert "entité importante" in nis2.inner_text()

    ars = page.locator('tr[data-regime="csp_l1111_8_2"][data-phase="declaration"]')
    assert ars.get_attribute("data-state") == "due"
    ars.locator("a", has_text="Rapport prêt à copier").click()
    page.wait_for_load_state()
    assert "Déclaration d'incident de sécurité des systèmes d'information" in page.locator("h1").inner_text()
    page.go_back()
    ars = page.locator('tr[data-regime="csp_l1111_8_2"][data-phase="declaration"]')
    ars.locator("summary", has_text="Enregistrer").click()
    moment = timezone.localtime(timezone.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    ars.locator("input[name=submitted_at]").fill(moment)
    ars.locator("input[name=reference]").fill("ARS-BRE-2021-0042")
    ars.get_by_role("button", name="Enregistrer le dépôt").click()
    page.wait_for_load_state()

    ars = page.locator('tr[data-regime="csp_l1111_8_2"][data-phase="declaration"]')
    assert ars.get_attribute("data-state") == "done"
    assert "ARS-BRE-2021-0042" in ars.inner_text()
    assert ObligationDecision.objects.get(regime="nis2_art23").decided_by == lab_dpo
    assert PhaseSubmission.objects.get(regime="csp_l1111_8_2").reference == "ARS-BRE-2021-0042"
