"""The lockout page and its audit entry (django-axes calls both)."""

from __future__ import annotations

from typing import Any

from axes.helpers import get_cool_off
from axes.signals import user_locked_out
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from breachdesk.models import AuditEvent, User
from breachdesk.services import record_audit
from breachdesk.signin.audit import SignInAudit, SignInDetail


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict[str, Any] | None = None
) -> HttpResponse:
    """Say when to try again, the same words whether the account exists or not."""
    cool_off = get_cool_off(request)
    # Each attempt during the lockout starts the cool-off again (axes' default), so it ends this long from now.
    retry_at = timezone.now() + cool_off if cool_off else None
    minutes = round(cool_off.total_seconds() / 60) if cool_off else None
    return render(request, "registration/lockout.html", {"retry_at": retry_at, "minutes": minutes}, status=429)


@receiver(user_locked_out)
def audit_lockout(
    sender: object, request: HttpRequest, username: str | None, ip_address: str | None, **kwargs: Any
) -> None:
    """Record a lockout against the account when it exists; a name typed for no account is not kept."""
    user = User.objects.filter(username=username).first() if username else None
    record_audit(
        user=user,
        action=AuditEvent.Action.DENIED,
        object_type=SignInAudit.ACCOUNT,
        object_id=user.pk if user is not None else "",
        detail=SignInDetail.LOCKED_OUT,
    )
