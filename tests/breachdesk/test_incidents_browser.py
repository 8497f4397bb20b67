"""In a real browser: a compliance officer opens an incident, its processor and three breach files, then works one."""

from __future__ import annotations

import pytest

from breachdesk.models import AuditEvent, BreachFile, Incident
from tests.conftest import log_in
from tests.factories import OrganisationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_compliance_officer_opens_an_incident_with_its_processor_and_three_breach_files_then_edits_one_section(
    browser_page, live_server, compliance_officer, lab, other_lab
):
    OrganisationFactory(code="LAB-CAEN", name="Laboratoire de Caen")
    page = browser_page
    page.set_viewport_size({"width": 1366, "height": 900})
    log_in(page, live_server, "compliance")
    page.get_by_role("link", name="Incidents", exact=True).click()
    page.get_by_test_id("new-incident").click()

    page.fill("#id_reference", "INC-2026-0042")
    page.fill("#id_title", "Fuite du fichier patients de l'éditeur")
    page.fill("#id_processor-code", "VENDOR-LABSOFT")
    page.fill("#id_processor-name", "LabSoft")
    page.fill("#id_processor_became_aware_at", "2026-03-26T18:00")
    page.fill("#id_processor_account", "Un export de migration a été copié depuis un serveur de transfert.")
    page.fill("#id_processor_measures", "Serveur fermé, exports supprimés.")
    page.get_by_role("button", name="Ouvrir l'incident").click()

    # Next: the breach files, the incident already chosen.
    page.wait_for_selector("#controllers")
    assert page.locator("#id_incident").input_value() == "INC-2026-0042"
    for name in [
        "Laboratoire de Rennes — LAB-RENNES",
        "Laboratoire de Brest — LAB-BREST",
        "Laboratoire de Caen — LAB-CAEN",
    ]:
        page.get_by_label(name).check()
    page.fill("#id_became_aware_at", "2026-03-27T10:00")
    page.fill("#id_processor_informed_at", "2026-03-27T10:00")
    page.get_by_label("Perte de confidentialité").check()
    page.select_option("#id_origin", "hacking")
    page.get_by_role("button", name="Ouvrir les dossiers de violation").click()

    page.wait_for_selector("[data-testid=incident-breach-files]")
    assert page.url == f"{live_server.url}/incidents/INC-2026-0042/"
    links = page.locator("[data-testid=incident-breach-files] tbody a")
    assert sorted(links.all_inner_texts()) == [
        "Laboratoire de Brest — LAB-BREST",
        "Laboratoire de Caen — LAB-CAEN",
        "Laboratoire de Rennes — LAB-RENNES",
    ]
    assert page.get_by_test_id("incident-link-processor_notices").is_visible()
    assert "3 dossiers de violation ouverts." in page.locator(".messages").inner_text()

    page.get_by_role("link", name="Laboratoire de Brest — LAB-BREST").click()
    page.wait_for_selector("[data-testid=section-measures]")
    for key in ["dates", "nature", "persons", "consequences", "measures", "other-bodies", "notification"]:
        assert page.get_by_test_id(f"section-{key}").is_visible(), key
    assert "Piratage, logiciel malveillant, hameçonnage" in page.get_by_test_id("section-nature").inner_text()
    assert page.get_by_test_id("incident-link-processor_notices").is_visible()

    page.get_by_test_id("edit-measures").click()
    page.wait_for_selector("fieldset#measures")
    assert page.url.endswith("/files/INC-2026-0042/LAB-BREST/edit/#measures")
    # Two columns on a wide screen, one on a phone.
    grid = page.locator("fieldset#measures .fieldset-grid")
    assert len(grid.evaluate("element => getComputedStyle(element).gridTemplateColumns").split()) == 2
    page.set_viewport_size({"width": 390, "height": 844})
    assert len(grid.evaluate("element => getComputedStyle(element).gridTemplateColumns").split()) == 1
    page.set_viewport_size({"width": 1366, "height": 900})
    page.fill("#id_mitigation_measures", "Ligne d'écoute ouverte aux patients.")
    page.get_by_role("button", name="Enregistrer").click()

    page.wait_for_selector("[data-testid=section-measures]")
    # Back on the page, at the section just edited (the browser keeps the anchor across the redirect).
    assert page.url.endswith("/files/INC-2026-0042/LAB-BREST/#measures")
    assert "Ligne d'écoute ouverte aux patients." in page.get_by_test_id("section-measures").inner_text()
    assert "mesures pour atténuer" in page.get_by_test_id("timeline").inner_text()

    incident = Incident.objects.get(reference="INC-2026-0042")
    assert incident.processor is not None and incident.processor.code == "VENDOR-LABSOFT"
    brest = BreachFile.objects.get(incident=incident, controller=other_lab)
    assert brest.mitigation_measures == "Ligne d'écoute ouverte aux patients."
    assert BreachFile.objects.get(incident=incident, controller=lab).mitigation_measures == ""
    assert AuditEvent.objects.filter(user=compliance_officer, action="create", object_type="breach_file").count() == 3
