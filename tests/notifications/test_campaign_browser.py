# ruff: noqa: F811  (pytest fixtures imported from campaign_fixtures)
"""In a real browser: the launch of the letters and emails asks first, with its numbers, and acts only when confirmed."""

from __future__ import annotations

import pytest

from notifications.models import Campaign, Notice
from notifications.services import campaigns, notice_texts
from tests.conftest import log_in
from tests.notifications.campaign_fixtures import informed_file  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def wake_ups(monkeypatch):
    """The campaigns woken up for the workers (the broker is the edge; the ledger rows are the truth)."""
    woken: list[int] = []
    monkeypatch.setattr(campaigns, "wake_campaign", woken.append)
    return woken


def test_the_launch_shows_its_numbers_and_queues_nothing_before_the_dpo_confirms(
    browser_page, live_server, informed_file, lab_dpo, wake_ups, eager_tasks
):
    for language in ("fr", "en"):
        values = {section: f"Texte {section} {language}" for section in notice_texts.SECTIONS}
        campaigns.save_notice_text(breach_file=informed_file, language=language, values=values, user=lab_dpo)
    page = browser_page
    log_in(page, live_server, "dpo.rennes")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/files/INC-2021-0001/LAB-RENNES/campaign/")

    page.click("[data-testid=review-launch]")

    preview = page.locator("[data-testid=launch-preview]")
    assert "12 personnes concernées sont couvertes" in page.locator("[data-testid=launch-persons]").inner_text()
    assert page.locator("[data-testid=letters-fr]").inner_text() == "7"
    assert page.locator("[data-testid=emails-fr]").inner_text() == "7"
    assert page.locator("[data-testid=letters-en]").inner_text() == "1"
    assert page.locator("[data-testid=emails-en]").inner_text() == "1"
    assert page.locator("[data-testid=letters-total]").inner_text() == "8"
    assert "1 personne concernée ne peut être jointe" in preview.inner_text()
    assert "figé" in page.locator("[data-testid=launch-texts]").inner_text()
    assert not Campaign.objects.exists() and not Notice.objects.exists() and wake_ups == []

    # The server counts again: a number other than the one shown launches nothing.
    page.fill("#id_persons", "11")
    page.click("[data-testid=confirm-launch]")
    assert "Tapez 12" in page.locator(".errorlist").inner_text()
    assert not Campaign.objects.exists() and not Notice.objects.exists() and wake_ups == []

    page.fill("#id_persons", "12")
    page.click("[data-testid=confirm-launch]")

    page.wait_for_url(f"{live_server.url}/files/INC-2021-0001/LAB-RENNES/campaign/")
    # The request queued the task that fills the ledger; run in-process here, it was done before the page loaded.
    assert "8 courriers et 8 e-mails" in page.locator(".messages").inner_text()
    assert page.locator("[data-testid=launch-filling]").count() == 0
    assert Notice.objects.filter(channel="post").count() == 8
    assert Notice.objects.filter(channel="email").count() == 8
    assert wake_ups == [Campaign.objects.get().pk]
