"""In a real browser, with the second factor required: log in, set up the authenticator, reach the dashboard."""

from __future__ import annotations

from base64 import b32decode

import pytest
from django_otp.oath import totp

from tests.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _code(secret: str, *, drift: int = 0) -> str:
    key = b32decode(secret.replace(" ", "") + "=" * (-len(secret.replace(" ", "")) % 8))
    return f"{totp(key, drift=drift):06d}"


def test_a_dpo_sets_up_the_second_factor_then_logs_in_with_a_code(
    browser_page, live_server, lab_dpo, breach_file, settings
):
    settings.REQUIRE_MFA = True
    page = browser_page
    log_in(page, live_server, "dpo.rennes")
    page.wait_for_selector("[data-testid=qr-code] svg")
    assert page.locator("[data-testid=breach-files]").count() == 0
    secret = page.locator("[data-testid=mfa-secret]").inner_text()

    page.fill("#id_code", _code(secret))
    page.click("main button[type=submit]")
    page.wait_for_selector("[data-testid=recovery-codes]")
    codes = page.locator("[data-testid=recovery-codes] li")
    assert codes.count() == 10
    page.click("[data-testid=continue]")
    page.wait_for_selector("[data-testid=breach-files]")

    page.click("header form button[type=submit]")  # log out
    log_in(page, live_server, "dpo.rennes")
    page.wait_for_selector("#id_code")
    assert "Second facteur" in page.content()
    page.fill("#id_code", _code(secret, drift=1))
    page.click("main button[type=submit]")
    page.wait_for_selector("[data-testid=breach-files]")
    assert page.locator("[data-testid=who]").inner_text().startswith("dpo.rennes")
