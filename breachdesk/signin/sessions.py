"""How long a session lasts, and ending every session of a disabled account."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from breachdesk.models import AuditEvent, User
from breachdesk.services import record_audit
from breachdesk.signin.audit import SignInAudit, SignInDetail

SIGNED_IN_AT = "breachdesk_signed_in_at"
ACTIVE_AT = "breachdesk_active_at"
# The last activity is written at most this often (seconds), not on every request.
ACTIVITY_RESOLUTION = 60

View = TypeVar("View", bound=Callable[..., Any])


def passive(view: View) -> View:
    """Mark a view that pages poll by script: calling it is not activity and does not keep a session alive."""
    view.keeps_session_idle = True  # type: ignore[attr-defined]
    return view


def start_session_clock(request: HttpRequest) -> None:
    """Record when the user logged in (the absolute lifetime and idle timeout count from here)."""
    now = int(time.time())
    request.session[SIGNED_IN_AT] = now
    request.session[ACTIVE_AT] = now


def session_has_expired(request: HttpRequest, *, now: float, lifetime: int, idle_timeout: int) -> bool:
    """Tell whether the session outlived its absolute lifetime or its idle timeout (no clock: expired)."""
    signed_in_at = request.session.get(SIGNED_IN_AT)
    active_at = request.session.get(ACTIVE_AT)
    if not isinstance(signed_in_at, int) or not isinstance(active_at, int):
        return True
    return now - signed_in_at > lifetime or now - active_at > idle_timeout


def note_activity(request: HttpRequest, *, now: float) -> None:
    """Move the idle timeout on after a request the user made."""
    if now - request.session.get(ACTIVE_AT, 0) >= ACTIVITY_RESOLUTION:
        request.session[ACTIVE_AT] = int(now)


def end_sessions(*, user: User) -> int:
    """Delete every open session of the user (database sessions, the ones settings use)."""
    user_id = str(user.pk)
    ended = [
        session.pk
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if session.get_decoded().get(SESSION_KEY) == user_id
    ]
    Session.objects.filter(pk__in=ended).delete()
    return len(ended)


def end_sessions_of_disabled_account(*, user: User) -> None:
    """End a disabled account's sessions once its change is committed, and say so in the audit trail."""

    def end() -> None:
        if end_sessions(user=user):
            record_audit(
                user=None,
                action=AuditEvent.Action.CHANGE,
                object_type=SignInAudit.ACCOUNT,
                object_id=user.pk,
                detail=SignInDetail.SESSIONS_ENDED,
            )

    transaction.on_commit(end)
