"""The second factor: a TOTP authenticator and single-use recovery codes (django-otp devices)."""

from __future__ import annotations

from base64 import b32encode
from dataclasses import dataclass

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.db import transaction
from django_otp import devices_for_user
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from breachdesk.models import AuditEvent, User
from breachdesk.services import record_audit
from breachdesk.signin.audit import SignInAudit, SignInDetail

AUTHENTICATOR = "authenticator"
RECOVERY_CODES = "recovery codes"


def has_second_factor(user: User) -> bool:
    """Tell whether the user has set up an authenticator."""
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).exists()


def pending_authenticator(user: User) -> TOTPDevice:
    """Return the authenticator being set up, made on first call (its secret stays until it is confirmed)."""
    device = TOTPDevice.objects.devices_for_user(user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=AUTHENTICATOR, confirmed=False)
    return device


def secret_text(device: TOTPDevice) -> str:
    """Return the secret as an authenticator app takes it by hand (base32, in groups of four)."""
    secret = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_code_svg(device: TOTPDevice) -> str:
    """Draw the authenticator's otpauth:// address as an inline SVG QR code (made here, no outside service)."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    return image.to_string(encoding="unicode")


@dataclass(frozen=True)
class Enrolment:
    """What confirming an authenticator gave: its recovery codes, or whether throttling refused the code."""

    recovery_codes: list[str] | None
    is_throttled: bool


@transaction.atomic
def confirm_authenticator(*, device: TOTPDevice, token: str) -> Enrolment:
    """Confirm the authenticator with a code from it and make new recovery codes (none if the code is refused)."""
    if not device.verify_is_allowed()[0]:
        return Enrolment(recovery_codes=None, is_throttled=True)
    if not device.verify_token(token.replace(" ", "")):
        return Enrolment(recovery_codes=None, is_throttled=False)
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    user = device.user
    TOTPDevice.objects.devices_for_user(user, confirmed=False).delete()
    StaticDevice.objects.filter(user=user).delete()
    recovery = StaticDevice.objects.create(user=user, name=RECOVERY_CODES, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(settings.MFA_RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=recovery, token=code) for code in codes])
    record_audit(
        user=user,
        action=AuditEvent.Action.CHANGE,
        object_type=SignInAudit.ACCOUNT,
        object_id=user.pk,
        detail=SignInDetail.MFA_ENROLLED,
    )
    return Enrolment(recovery_codes=codes, is_throttled=False)


@dataclass(frozen=True)
class Verification:
    """What checking a code found: the device it matched, or whether throttling refused it."""

    device: Device | None
    is_throttled: bool


def verify_second_factor(*, user: User, token: str) -> Verification:
    """Check a code against the user's authenticator, then their recovery codes (each used once)."""
    token = token.replace(" ", "").strip()
    throttled = False
    for device in devices_for_user(user, confirmed=True):
        # django-otp doubles the wait after each wrong code, per device.
        if not device.verify_is_allowed()[0]:
            throttled = True
            continue
        if device.verify_token(token):
            return Verification(device=device, is_throttled=False)
    return Verification(device=None, is_throttled=throttled)


@transaction.atomic
def reset_second_factor(*, user: User, actor: User | None = None) -> int:
    """Remove the user's authenticator and recovery codes (they set up a new one at their next login)."""
    removed = 0
    for model in (TOTPDevice, StaticDevice):
        removed += model.objects.filter(user=user).delete()[1].get(model._meta.label, 0)
    record_audit(
        user=actor,
        action=AuditEvent.Action.CHANGE,
        object_type=SignInAudit.ACCOUNT,
        object_id=user.pk,
        detail=SignInDetail.MFA_RESET,
    )
    return removed
