"""In a real browser: the compliance officer follows each lab's letters and emails (Art. 34) on the dashboard."""

from __future__ import annotations

import os

import pytest

from notifications.models import Channel, NoticeState
from notifications.services import campaigns
from tests.conftest import log_in
from tests.notifications.campaign_fixtures import decide_to_inform, make_subjects
from tests.notifications.views.test_compliance_informing import set_states

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_compliance_officer_sees_letters_posted_emails_sent_and_bounced_per_lab(
    browser_page, live_server, breach_file, other_breach_file, lab_dpo, compliance_officer
):
    make_subjects(breach_file, 3, start=0, email=False, post=True)
    make_subjects(breach_file, 3, start=3, email=True, post=False)
    make_subjects(breach_file, 2, start=6, email=False, post=False)
    decide_to_inform(breach_file, lab_dpo)
    campaigns.launch_campaign(breach_file=breach_file, user=lab_dpo, channels=["post", "email"])
    set_states(breach_file, Channel.POST, [NoticeState.POSTED, NoticeState.POSTED])
    set_states(breach_file, Channel.EMAIL, [NoticeState.SENT, NoticeState.BOUNCED, NoticeState.SENT])

    page = browser_page
    log_in(page, live_server, "compliance")
    page.wait_for_url(f"{live_server.url}/")
    page.click("nav a:has-text('Échéances')")
    table = page.locator("[data-testid=compliance-table]")
    table.wait_for()
    assert "Information des personnes concernées (art. 34)" in table.locator("thead").inner_text()
    rennes = table.locator("tbody tr", has=page.locator("a:has-text('Laboratoire de Rennes')"))
    cells = {
        column: rennes.locator(f"[data-column={column}]").inner_text()
        for column in ("letters_posted", "emails_sent", "letters_returned", "emails_bounced", "unreachable")
    }
    # A bounced email was sent: counted among the sent, and it tells nobody.
    assert cells == {
        "letters_posted": "2",
        "emails_sent": "3",
        "letters_returned": "0",
        "emails_bounced": "1",
        "unreachable": "2",
    }
    bar = rennes.locator("progress")
    assert (bar.get_attribute("value"), bar.get_attribute("max")) == ("4", "8")
    assert bar.get_attribute("aria-label") == "4 personnes informées sur 8"
    assert "4 / 8 · 50 %" in rennes.locator("[data-column=informed]").inner_text()
    brest = table.locator("tbody tr", has=page.locator("a:has-text('Laboratoire de Brest')"))
    assert brest.locator("[data-column=informed]").inner_text() == "pas encore lancée"
    if os.environ.get("BREACHDESK_SCREENSHOTS"):
        page.screenshot(path=os.path.join(os.environ["BREACHDESK_SCREENSHOTS"], "compliance.png"), full_page=True)
