"""In a real browser: the login page, the favicon, tables that scroll on a phone instead of widening the page."""

from __future__ import annotations

import pytest

from tests.conftest import log_in
from tests.factories import BreachFileFactory, OrganisationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_login_page_names_the_product_switches_language_and_says_what_went_wrong(
    browser_page, live_server, lab_dpo
):
    page = browser_page
    page.goto(f"{live_server.url}/login/")
    assert page.locator(".login-name").inner_text() == "BreachDesk"
    assert page.locator("h1").inner_text() == "Se connecter"
    icon = page.locator("link[rel=icon]").get_attribute("href")
    response = page.request.get(f"{live_server.url}{icon}")
    assert response.ok and response.headers["content-type"].startswith("image/svg+xml")

    page.click("[data-testid=login-languages] button[lang=en]")
    page.wait_for_selector("h1:text-is('Log in')")
    page.fill("#id_username", "dpo.rennes")
    page.fill("#id_password", "not the password")
    page.click("button.login-submit")

    error = page.locator("[data-testid=login-error]")
    assert error.is_visible() and "Wrong username or password." in error.inner_text()
    assert page.input_value("#id_username") == "dpo.rennes"
    assert page.locator("#id_password").get_attribute("aria-invalid") == "true"
    assert page.locator("[data-testid=login-languages] button[aria-pressed=true]").inner_text() == "English"


@pytest.mark.parametrize("path", ["/", "/compliance/", "/register/"])
def test_on_a_phone_wide_tables_scroll_inside_their_frame_and_the_page_does_not(
    browser_page, live_server, compliance_officer, incident, lab, path
):
    for town in ("Saint-Brieuc", "Cherbourg-en-Cotentin", "La Roche-sur-Yon"):
        controller = OrganisationFactory(
            code=f"LAB-{town.upper()}", name=f"Laboratoire de biologie médicale de {town}", group=lab.group
        )
        BreachFileFactory(incident=incident, controller=controller)
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, live_server, "compliance")
    page.goto(f"{live_server.url}{path}")
    page.wait_for_selector(".table-scroll table")

    page_overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    frames = page.locator(".table-scroll")
    widest = max(
        frames.nth(index).evaluate("frame => frame.scrollWidth - frame.clientWidth") for index in range(frames.count())
    )
    assert page_overflow == 0
    assert widest > 0
    assert page.locator("main table").count() == page.locator(".table-scroll > table").count()
