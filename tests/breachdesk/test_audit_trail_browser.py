"""In a real browser: the audit trail's filters narrow the list; a DPO reads only their organisation's entries."""

from __future__ import annotations

import pytest

from breachdesk.services import record_audit
from tests.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def usernames(page) -> set[str]:
    return set(
        page.locator("[data-testid=audit-trail] tbody tr[data-username]").evaluate_all(
            "rows => rows.map(row => row.dataset.username)"
        )
    )


def test_the_filters_narrow_the_trail_and_a_dpo_reads_only_their_organisations_entries(
    browser_page, live_server, lab, other_lab, lab_dpo, other_lab_dpo, compliance_officer
):
    record_audit(user=lab_dpo, action="view", object_type="breach_file", object_id=1, organisation_id=lab.pk)
    record_audit(user=lab_dpo, action="change", object_type="breach_file", object_id=1, organisation_id=lab.pk)
    record_audit(user=other_lab_dpo, action="view", object_type="breach_file", organisation_id=other_lab.pk)
    record_audit(user=other_lab_dpo, action="export", object_type="register_csv", organisation_id=other_lab.pk)

    page = browser_page
    log_in(page, live_server, "compliance")
    page.wait_for_url(f"{live_server.url}/")
    page.click('nav a:has-text("Journal d\'audit")')
    page.wait_for_selector("[data-testid=audit-trail]")
    assert usernames(page) == {"dpo.rennes", "dpo.brest"}

    page.select_option("#id_user", "dpo.brest")
    page.click("[data-testid=audit-filters] button[type=submit]")
    page.wait_for_url("**/audit/?*user=dpo.brest*")
    assert usernames(page) == {"dpo.brest"}
    assert page.locator("[data-testid=audit-trail] tbody tr").count() == 2

    page.select_option("#id_action", label="Exporté")
    page.click("[data-testid=audit-filters] button[type=submit]")
    page.wait_for_url("**/audit/?*action=export*")
    rows = page.locator("[data-testid=audit-trail] tbody tr")
    assert rows.count() == 1
    assert "Registre (CSV)" in rows.first.inner_text() and "Laboratoire de Brest" in rows.first.inner_text()

    page.context.clear_cookies()
    log_in(page, live_server, "dpo.rennes")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/audit/")
    # Their lab's entries only: nothing of the Brest lab, not even in the organisations offered.
    assert usernames(page) == {"dpo.rennes"}
    assert page.locator("[data-testid=audit-trail] tbody tr").count() == 2
    assert "Laboratoire de Brest" not in page.locator("[data-testid=audit-trail]").inner_text()
    assert page.locator("#id_organisation option").all_inner_texts() == [
        "Tous les organismes",
        "Laboratoire de Rennes (LAB-RENNES)",
    ]
