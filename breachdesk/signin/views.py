"""The second-factor pages: set up an authenticator, then enter a code at each login."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django_otp import login as otp_login

from breachdesk.access import current_user
from breachdesk.signin import mfa
from breachdesk.signin.forms import CodeForm

THROTTLED = _("Too many wrong codes: wait a few seconds, then try again (each wrong code doubles the wait).")
WRONG_CODE = _("Wrong code.")
WRONG_ENROLMENT_CODE = _("This code is not the one your authenticator shows now; try the next one.")


def _next_url(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _step(name: str, request: HttpRequest) -> HttpResponse:
    return redirect(f"{reverse(name)}?{urlencode({'next': _next_url(request)})}")


@never_cache
@sensitive_post_parameters("code")
@login_required
def mfa_setup(request: HttpRequest) -> HttpResponse:
    """Show the authenticator's QR code and secret, confirm it with a code, then show the recovery codes once."""
    user = current_user(request)
    if mfa.has_second_factor(user):
        return _step("mfa_verify", request)
    device = mfa.pending_authenticator(user)
    form, refusal = CodeForm(request.POST or None), None
    if request.method == "POST" and form.is_valid():
        enrolment = mfa.confirm_authenticator(device=device, token=form.cleaned_data["code"])
        if enrolment.recovery_codes is not None:
            otp_login(request, device)
            context = {"codes": enrolment.recovery_codes, "next": _next_url(request)}
            return render(request, "registration/mfa_recovery_codes.html", context)
        # A fresh form: a refused code is not shown again.
        form, refusal = CodeForm(), THROTTLED if enrolment.is_throttled else WRONG_ENROLMENT_CODE
    return render(
        request,
        "registration/mfa_setup.html",
        {
            "form": form,
            "refusal": refusal,
            "second_factor_pending": True,
            "qr_code": mfa.qr_code_svg(device),
            "secret": mfa.secret_text(device),
            "next": _next_url(request),
        },
    )


@never_cache
@sensitive_post_parameters("code")
@login_required
def mfa_verify(request: HttpRequest) -> HttpResponse:
    """Ask for a code from the authenticator, or a recovery code."""
    user = current_user(request)
    if not mfa.has_second_factor(user):
        return _step("mfa_setup", request)
    form, refusal = CodeForm(request.POST or None), None
    if request.method == "POST" and form.is_valid():
        # A fresh form after a refusal: a refused code is not shown again.
        verification = mfa.verify_second_factor(user=user, token=form.cleaned_data["code"])
        if verification.device is not None:
            otp_login(request, verification.device)
            return redirect(_next_url(request))
        form, refusal = CodeForm(), THROTTLED if verification.is_throttled else WRONG_CODE
    context = {"form": form, "refusal": refusal, "next": _next_url(request), "second_factor_pending": True}
    return render(request, "registration/mfa_verify.html", context)
