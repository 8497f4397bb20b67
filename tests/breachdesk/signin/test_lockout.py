"""Repeated failed logins lock the account and the address out, on the site and in the back office."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.test import RequestFactory

from breachdesk.models import AuditEvent
from breachdesk.signin.addresses import client_address
from breachdesk.signin.audit import SignInAudit, SignInDetail
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

ATTACKER = "198.51.100.23"


def _log_in(client, username, password, *, path="/login/", address=ATTACKER, forwarded=None):
    extra = {"REMOTE_ADDR": address}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client.post(path, {"username": username, "password": password}, **extra)


def _is_logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_six_wrong_passwords_lock_the_account_and_the_right_one_is_then_refused(client, lab_dpo):
    for attempt in range(4):
        assert _log_in(client, "dpo.rennes", f"wrong {attempt}").status_code == 200
    # The fifth failure locks the account; the sixth is refused without checking the password.
    assert _log_in(client, "dpo.rennes", "wrong 4").status_code == 429
    assert _log_in(client, "dpo.rennes", "wrong 5").status_code == 429

    response = _log_in(client, "dpo.rennes", PASSWORD)

    assert response.status_code == 429
    assert not _is_logged_in(client)
    # The same account from another address is locked too: the lockout is by account and by address.
    assert _log_in(client, "dpo.rennes", PASSWORD, address="203.0.113.80").status_code == 429


def test_the_lockout_page_says_when_to_try_again_and_not_whether_the_account_exists(client, lab_dpo):
    for attempt in range(5):
        _log_in(client, "dpo.rennes", f"wrong {attempt}")
    for attempt in range(5):
        _log_in(client, "nobody.here", f"wrong {attempt}", address="203.0.113.81")

    existing = _log_in(client, "dpo.rennes", PASSWORD)
    unknown = _log_in(client, "nobody.here", PASSWORD, address="203.0.113.81")

    for response in (existing, unknown):
        assert response.status_code == 429
        assert b'data-testid="lockout"' in response.content
        assert "Vous pourrez réessayer dans 15 minutes, après" in response.content.decode()
        assert b"dpo.rennes" not in response.content and b"nobody.here" not in response.content
    assert existing.content.split(b"<main>")[1] == unknown.content.split(b"<main>")[1]


def test_the_lockout_page_speaks_english_to_an_english_reader(client, lab_dpo, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    for attempt in range(5):
        response = _log_in(client, "dpo.rennes", f"wrong {attempt}")

    assert "You can try again in 15 minutes, after" in response.content.decode()


def test_a_lockout_is_audited_against_the_account_by_id_only(client, lab_dpo):
    for attempt in range(5):
        _log_in(client, "dpo.rennes", f"wrong {attempt}")
    for attempt in range(5):
        _log_in(client, "nobody.here", f"wrong {attempt}", address="203.0.113.81")

    entries = AuditEvent.objects.filter(object_type=SignInAudit.ACCOUNT, detail=SignInDetail.LOCKED_OUT)

    assert {(entry.object_id, entry.username) for entry in entries} == {(str(lab_dpo.pk), "dpo.rennes"), ("", "")}
    assert not any("wrong" in entry.detail for entry in entries)


def test_an_address_is_locked_out_across_usernames(client, lab_dpo):
    for attempt in range(5):
        _log_in(client, f"guess{attempt}", "wrong")

    assert _log_in(client, "dpo.rennes", PASSWORD).status_code == 429
    assert not _is_logged_in(client)
    response = _log_in(client, "dpo.rennes", PASSWORD, address="203.0.113.80")
    assert response.status_code == 302
    assert _is_logged_in(client)


def test_the_admin_login_is_throttled_too(client, admin_user):
    for attempt in range(5):
        _log_in(client, "admin", f"wrong {attempt}", path="/admin/login/")

    response = _log_in(client, "admin", PASSWORD, path="/admin/login/")

    assert response.status_code == 429
    assert not _is_logged_in(client)


def test_x_forwarded_for_is_ignored_without_a_trusted_proxy(client, lab_dpo):
    for attempt in range(5):
        _log_in(client, "guess", "wrong", forwarded=f"203.0.113.{attempt}")

    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {ATTACKER}
    assert _log_in(client, "dpo.rennes", PASSWORD, forwarded="203.0.113.99").status_code == 429


def test_x_forwarded_for_is_honoured_from_a_trusted_proxy(client, lab_dpo, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/24"]
    for attempt in range(5):
        _log_in(client, f"guess{attempt}", "wrong", address="10.0.0.2", forwarded="203.0.113.7")

    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.7"}
    assert _log_in(client, "dpo.rennes", PASSWORD, address="10.0.0.2", forwarded="203.0.113.7").status_code == 429
    # Another client behind the same proxy is not locked out with the first one.
    assert _log_in(client, "dpo.rennes", PASSWORD, address="10.0.0.2", forwarded="203.0.113.8").status_code == 302


def test_only_the_addresses_the_trusted_proxies_appended_are_believed(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/24", "192.0.2.1"]
    factory = RequestFactory()

    # The client wrote the first address itself; the proxies appended the rest.
    spoofed = factory.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.7, 192.0.2.1")
    direct = factory.get("/", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="10.0.0.5")

    assert client_address(spoofed) == "203.0.113.7"
    assert client_address(direct) == "203.0.113.9"
