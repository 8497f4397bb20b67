"""Personas and shared fixtures; tests read as sentences about them."""

from __future__ import annotations

import os

import pytest
from django.db import connection, connections

from breachdesk.models import BreachFile, Organisation, Role, User
from tests.factories import (
    BreachFileFactory,
    IncidentFactory,
    OrganisationFactory,
    OrganisationGroupFactory,
    UserFactory,
)

PASSWORD = "correct horse battery"
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _isolated_private_storage(settings, tmp_path):
    settings.PRIVATE_STORAGE_DIR = tmp_path / "private"
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "breachdesk.private_storage.PrivateFileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "private")},
        },
    }
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def require_service(name: str) -> None:
    """Skip a test about a service that is absent, except in CI where its absence is a failure."""
    message = f"{name} is not available here"
    if os.environ.get("BREACHDESK_REQUIRE_SERVICES"):
        pytest.fail(f"{message}, and BREACHDESK_REQUIRE_SERVICES is set")
    pytest.skip(message)


@pytest.fixture
def is_postgresql() -> bool:
    return connection.vendor == "postgresql"


@pytest.fixture
def lab(db) -> Organisation:
    return OrganisationFactory(code="LAB-RENNES", name="Laboratoire de Rennes")


@pytest.fixture
def other_lab(db) -> Organisation:
    return OrganisationFactory(code="LAB-BREST", name="Laboratoire de Brest")


@pytest.fixture
def outside_lab(db) -> Organisation:
    """A lab of another group, outside the compliance officer's reach."""
    return OrganisationFactory(
        code="LAB-LYON", name="Laboratoire de Lyon", group=OrganisationGroupFactory(name="Laboratoires du Sud-Est")
    )


@pytest.fixture
def incident(db):
    return IncidentFactory(reference="INC-2021-0001")


@pytest.fixture
def breach_file(incident, lab) -> BreachFile:
    return BreachFileFactory(incident=incident, controller=lab)


@pytest.fixture
def other_breach_file(incident, other_lab) -> BreachFile:
    return BreachFileFactory(incident=incident, controller=other_lab)


@pytest.fixture
def outside_breach_file(incident, outside_lab) -> BreachFile:
    return BreachFileFactory(incident=incident, controller=outside_lab)


@pytest.fixture
def lab_dpo(lab) -> User:
    return UserFactory(username="dpo.rennes", role=Role.DPO, organisation=lab)


@pytest.fixture
def other_lab_dpo(other_lab) -> User:
    return UserFactory(username="dpo.brest", role=Role.DPO, organisation=other_lab)


@pytest.fixture
def compliance_officer(lab) -> User:
    return UserFactory(username="compliance", role=Role.COMPLIANCE_OFFICER, group=lab.group)


@pytest.fixture
def mailroom_operator(lab) -> User:
    return UserFactory(username="mailroom", role=Role.MAILROOM, group=lab.group)


@pytest.fixture
def admin_user(db) -> User:
    return UserFactory(username="admin", role=Role.ADMIN, is_staff=True, is_superuser=True)


@pytest.fixture
def user_without_role(lab) -> User:
    return UserFactory(username="nobody", role="", organisation=lab)


CHROMIUM = "/usr/bin/chromium"


@pytest.fixture
def browser_page():
    """A page of Debian's Chromium driven by Playwright (no browser download)."""
    if not os.path.exists(CHROMIUM):
        require_service("Chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
        )
        context = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris")
        page = context.new_page()
        page.set_default_timeout(15_000)
        try:
            yield page
        finally:
            context.close()
            browser.close()
            # Playwright's event loop runs in this thread, so Django keeps the connections the test opened inside
            # it apart from the usual ones, out of reach of pytest-django's closing: close them here, or the
            # PostgreSQL test database is still in use when it is dropped at the end of the session.
            connections.close_all()


def log_in(page, live_server, username: str, password: str = PASSWORD) -> None:
    """Log in through the real login form."""
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
