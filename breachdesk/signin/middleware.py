"""Every request of a signed-in user: a session within its lifetime, and a verified second factor when required."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from breachdesk.signin import mfa
from breachdesk.signin.sessions import note_activity, session_has_expired

# The pages a signed-in user reaches before the second factor: signing in and out, the second factor itself,
# the language switch.
UNVERIFIED_VIEWS = frozenset({"login", "logout", "mfa_setup", "mfa_verify", "set_language", "admin:logout"})


class SessionLifetimeMiddleware:
    """Log out a session idle for too long or older than its absolute lifetime."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        if not request.user.is_authenticated:
            return None
        now = time.time()
        if session_has_expired(
            request,
            now=now,
            lifetime=settings.SESSION_LIFETIME_SECONDS,
            idle_timeout=settings.SESSION_IDLE_TIMEOUT_SECONDS,
        ):
            logout(request)
            messages.info(request, _("Your session has ended; please log in again."))
            return redirect_to_login(request.get_full_path())
        if not getattr(view_func, "keeps_session_idle", False):
            note_activity(request, now=now)
        return None


class VerifiedSessionMiddleware:
    """Send a signed-in user without a verified second factor to the second-factor step, when it is required."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        user = request.user
        if not settings.REQUIRE_MFA or not user.is_authenticated or user.is_verified():  # type: ignore[attr-defined]
            return None
        match = request.resolver_match
        if match is not None and match.view_name in UNVERIFIED_VIEWS:
            return None
        step = "mfa_verify" if mfa.has_second_factor(user) else "mfa_setup"
        return redirect(f"{reverse(step)}?{urlencode({'next': request.get_full_path()})}")
