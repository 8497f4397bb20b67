"""The second factor: set up with a QR code, then a TOTP code or a single-use recovery code at each login."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from breachdesk.models import AuditEvent
from breachdesk.signin import mfa
from breachdesk.signin.audit import SignInAudit, SignInDetail
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def mfa_required(settings):
    settings.REQUIRE_MFA = True


def _code(device: TOTPDevice, *, drift: int = 0) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=drift):06d}"


def _log_in(client: Client, username: str):
    return client.post("/login/", {"username": username, "password": PASSWORD}, follow=True)


def _enrolled(user) -> list[str]:
    device = mfa.pending_authenticator(user)
    codes = mfa.confirm_authenticator(device=device, token=_code(device)).recovery_codes
    assert codes is not None
    return codes


def test_a_protected_page_sends_a_user_without_an_authenticator_to_set_one_up(client, lab_dpo, mfa_required):
    response = _log_in(client, "dpo.rennes")

    assert response.redirect_chain[-1][0] == "/login/second-factor/setup/?next=%2F"
    assert client.get("/files/new/").url == "/login/second-factor/setup/?next=%2Ffiles%2Fnew%2F"


def test_a_user_sets_up_an_authenticator_and_sees_ten_recovery_codes_once(client, lab_dpo, mfa_required):
    _log_in(client, "dpo.rennes")
    page = client.get("/login/second-factor/setup/?next=/")
    device = TOTPDevice.objects.get(user=lab_dpo, confirmed=False)
    assert b"<svg" in page.content and b"<path" in page.content
    assert mfa.secret_text(device).encode() in page.content
    assert b'href="/incidents/"' not in page.content  # no menu before the second factor
    assert client.get("/").status_code == 302

    response = client.post("/login/second-factor/setup/", {"code": _code(device), "next": "/"})

    assert response.status_code == 200
    codes = response.context["codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(code.encode() in response.content for code in codes)
    assert client.get("/").status_code == 200
    device.refresh_from_db()
    assert device.confirmed
    # Shown once: the page is the answer to the confirmation, and the set-up page now asks for a code instead.
    assert client.get("/login/second-factor/setup/").url.startswith("/login/second-factor/?next=")
    assert AuditEvent.objects.filter(object_id=str(lab_dpo.pk), detail=SignInDetail.MFA_ENROLLED).exists()


def test_a_wrong_code_does_not_confirm_the_authenticator(client, lab_dpo, mfa_required):
    _log_in(client, "dpo.rennes")
    client.get("/login/second-factor/setup/")

    response = client.post("/login/second-factor/setup/", {"code": "000000"})

    assert response.status_code == 200 and response.context["refusal"]
    assert b'value="000000"' not in response.content
    assert not TOTPDevice.objects.filter(user=lab_dpo, confirmed=True).exists()
    assert client.get("/").status_code == 302


def test_set_up_wrong_codes_are_throttled_too(client, lab_dpo, mfa_required):
    _log_in(client, "dpo.rennes")
    client.get("/login/second-factor/setup/")
    device = TOTPDevice.objects.get(user=lab_dpo)
    for _ in range(3):
        client.post("/login/second-factor/setup/", {"code": "000000"})

    response = client.post("/login/second-factor/setup/", {"code": _code(device)})

    assert "Trop de codes erronés" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=lab_dpo, confirmed=True).exists()


def test_the_next_login_asks_for_the_code_of_the_authenticator(client, lab_dpo, mfa_required):
    _enrolled(lab_dpo)
    device = TOTPDevice.objects.get(user=lab_dpo)

    response = _log_in(client, "dpo.rennes")
    assert response.redirect_chain[-1][0] == "/login/second-factor/?next=%2F"
    assert client.get("/").status_code == 302
    # The code of the enrolment cannot be replayed: the next time step's is the one that verifies.
    verified = client.post("/login/second-factor/", {"code": _code(device, drift=1), "next": "/"})

    assert verified.url == "/"
    assert client.get("/").status_code == 200


def test_a_recovery_code_logs_in_once(client, lab_dpo, mfa_required):
    codes = _enrolled(lab_dpo)
    _log_in(client, "dpo.rennes")

    assert client.post("/login/second-factor/", {"code": codes[0], "next": "/"}).url == "/"
    assert client.get("/").status_code == 200
    assert StaticToken.objects.filter(device__user=lab_dpo).count() == 9

    again = Client()
    _log_in(again, "dpo.rennes")
    refused = again.post("/login/second-factor/", {"code": codes[0], "next": "/"})
    assert refused.status_code == 200 and refused.context["refusal"]
    assert again.get("/").status_code == 302


def test_wrong_codes_are_throttled(client, lab_dpo, mfa_required):
    _enrolled(lab_dpo)
    device = TOTPDevice.objects.get(user=lab_dpo)
    _log_in(client, "dpo.rennes")
    for _ in range(3):
        client.post("/login/second-factor/", {"code": "000000"})

    # After three wrong codes each device waits 4 seconds, and refuses even the right code meanwhile.
    response = client.post("/login/second-factor/", {"code": _code(device, drift=1)})

    assert "Trop de codes erronés" in response.content.decode()
    assert mfa.verify_second_factor(user=lab_dpo, token=_code(device, drift=1)).is_throttled
    assert client.get("/").status_code == 302


def test_the_back_office_needs_the_second_factor_too(client, admin_user, mfa_required):
    client.post("/admin/login/", {"username": "admin", "password": PASSWORD})

    assert client.get("/admin/").url == "/login/second-factor/setup/?next=%2Fadmin%2F"


def test_without_the_requirement_a_login_reaches_the_site_directly(client, lab_dpo, settings):
    settings.REQUIRE_MFA = False

    response = _log_in(client, "dpo.rennes")

    assert response.redirect_chain[-1][0] == "/"
    assert response.status_code == 200


def test_reset_mfa_removes_the_devices_ends_the_sessions_and_is_audited(client, lab_dpo, mfa_required):
    _enrolled(lab_dpo)
    _log_in(client, "dpo.rennes")

    call_command("reset_mfa", "dpo.rennes")

    assert not TOTPDevice.objects.filter(user=lab_dpo).exists()
    assert not StaticToken.objects.filter(device__user=lab_dpo).exists()
    assert client.get("/").url.startswith("/login/")
    entry = AuditEvent.objects.get(object_type=SignInAudit.ACCOUNT, detail=SignInDetail.MFA_RESET)
    assert entry.object_id == str(lab_dpo.pk)


def test_reset_mfa_of_an_unknown_user_is_a_usage_error(db):
    with pytest.raises(CommandError) as refused:
        call_command("reset_mfa", "nobody.here")
    assert refused.value.returncode == 2
