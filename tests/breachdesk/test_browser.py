"""In a real browser: log in, see the dashboard with live countdowns, overdue files in red."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.conftest import log_in
from tests.factories import BreachFileFactory, OrganisationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_dpo_logs_in_and_sees_a_live_countdown_and_the_overdue_file_in_red(
    browser_page, live_server, lab_dpo, incident, lab
):
    now = timezone.now()
    BreachFileFactory(incident=incident, controller=lab, became_aware_at=now - timedelta(hours=75))
    other_incident_file = BreachFileFactory(
        incident__reference="INC-2026-0002", controller=lab, became_aware_at=now - timedelta(hours=70)
    )
    BreachFileFactory(
        incident__reference="INC-2026-0003",
        controller=OrganisationFactory(code="LAB-CAEN"),
        became_aware_at=now - timedelta(hours=1),
    )
    page = browser_page
    log_in(page, live_server, "dpo.rennes")
    page.wait_for_selector("[data-testid=breach-files]")
    rows = page.locator("[data-testid=breach-files] tbody tr")
    assert rows.count() == 2  # the Caen lab is not theirs
    overdue_row = rows.nth(0)
    assert "overdue" in (overdue_row.get_attribute("class") or "")
    assert "dépassé de 03:0" in overdue_row.locator(".countdown").inner_text()
    color = overdue_row.locator(".countdown").evaluate("element => getComputedStyle(element).color")
    assert color == "rgb(179, 38, 30)"
    countdown = rows.nth(1).locator(".countdown")
    first = countdown.inner_text()
    assert first.startswith("01:59") or first.startswith("02:00")
    page.wait_for_timeout(1500)
    assert countdown.inner_text() != first
    assert "soon" in (rows.nth(1).get_attribute("class") or "")
    rows.nth(1).get_by_role("link", name=other_incident_file.controller.name).click()
    page.wait_for_selector("[data-testid=timeline]")
    assert "Échéance" in page.content() or "Deadline" in page.content()


def test_a_wrong_password_shows_an_error_and_no_dashboard(browser_page, live_server, lab_dpo):
    page = browser_page
    log_in(page, live_server, "dpo.rennes", "not the password")
    assert page.locator("[role=alert]").is_visible()
    assert page.locator("[data-testid=breach-files]").count() == 0
