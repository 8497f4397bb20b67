"""In a real browser: the DPO pages through emails of unknown fate and decides on a page at once, or on all of them."""

from __future__ import annotations

import pytest

from breachdesk.models import AuditEvent
from notifications.delivery import Outcome
from notifications.models import Campaign, Notice, NoticeState
from notifications.services import campaigns, ledger
from tests.conftest import log_in
from tests.notifications.campaign_fixtures import decide_to_inform, make_subjects

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_dpo_sends_again_a_whole_page_then_accepts_all_the_rest_by_typing_their_number(
    browser_page, live_server, breach_file, lab_dpo, monkeypatch
):
    # The broker is the edge: the ledger rows are the truth (a resend decision wakes the workers).
    monkeypatch.setattr(campaigns, "wake_campaign", lambda campaign_id: None)
    monkeypatch.setattr(ledger, "wake_campaign", lambda campaign_id: None)
    make_subjects(breach_file, 70, email=True, post=False)
    decide_to_inform(breach_file, lab_dpo)
    campaigns.launch_campaign(breach_file=breach_file, user=lab_dpo, channels="email")
    claim = ledger.claim_emails(campaign_id=Campaign.objects.get().pk, limit=100)
    ledger.record_email_outcomes(
        claim=claim,
        outcomes={notice.pk: (Outcome.UNKNOWN, "connection lost after the data") for notice in claim.notices},
    )
    page = browser_page
    log_in(page, live_server, "dpo.rennes")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/files/INC-2021-0001/LAB-RENNES/campaign/?unknown=2#unknown")

    panel = page.locator("#unknown")
    assert "2 / 2 (70)" in panel.inner_text()
    panel.get_by_label("Tout sélectionner sur cette page").check()
    assert panel.locator("input.unknown-notice:checked").count() == 20
    with page.expect_navigation():
        panel.get_by_role("button", name="Renvoyer").first.click()

    assert Notice.objects.filter(state=NoticeState.PENDING).count() == 20
    panel = page.locator("#unknown")
    assert "(50)" in panel.inner_text()
    panel.locator("#unknown-count").fill("49")
    with page.expect_navigation():
        panel.get_by_role("button", name="Tout considérer comme envoyés").click()
    assert "Saisissez 50" in page.content()
    assert Notice.objects.filter(state=NoticeState.UNKNOWN).count() == 50

    page.locator("#unknown-count").fill("50")
    with page.expect_navigation():
        page.locator("#unknown").get_by_role("button", name="Tout considérer comme envoyés").click()
    assert "Néant." in page.locator("#unknown").inner_text()
    assert Notice.objects.filter(state=NoticeState.SENT).count() == 50
    assert AuditEvent.objects.filter(user=lab_dpo, detail="unknown accepted x50 (all)").exists()
