"""In a real browser, the Content Security Policy blocks nothing of BreachDesk's own pages."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_pages_run_under_the_policy_and_the_language_menu_still_switches(
    browser_page, live_server, lab_dpo, breach_file
):
    page = browser_page
    violations: list[str] = []
    page.on(
        "console",
        lambda message: violations.append(message.text) if "Content Security Policy" in message.text else None,
    )
    log_in(page, live_server, lab_dpo.username)
    page.wait_for_selector("[data-testid=breach-files]")
    args = [breach_file.incident.reference, breach_file.controller.code]
    for name in ("breach_file_detail", "risk", "subject_import"):
        page.goto(f"{live_server.url}{reverse(name, args=args)}")
        page.wait_for_load_state("load")
    assert violations == []
    assert page.evaluate("document.documentElement.lang") == "fr"
    with page.expect_navigation():
        page.select_option("select[name=language]", "en")
    assert page.evaluate("document.documentElement.lang") == "en"
    assert violations == []
