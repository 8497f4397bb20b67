"""Pages of the obligations: adapters that check access, call a service and render."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from breachdesk.access import current_user, editable_breach_file, visible_breach_file
from breachdesk.forms import add_validation_errors
from breachdesk.models import AuditObject, BreachFile
from breachdesk.obligations import selectors, services
from breachdesk.obligations.forms import ObligationDecisionForm, PhaseSubmissionForm
from breachdesk.obligations.regimes import REGIMES, Debtor


def _detail_url(breach_file: BreachFile) -> str:
    url = reverse("breach_file_detail", args=[breach_file.incident.reference, breach_file.controller.code])
    return f"{url}#obligations"


def _page(request: HttpRequest, breach_file: BreachFile, *, form: Form | None = None, target: str = "") -> HttpResponse:
    return render(
        request,
        "breachdesk/obligations.html",
        {
            "breach_file": breach_file,
            "obligations": selectors.obligations_of_breach_file(breach_file=breach_file),
            "form": form,
            "target": target,
        },
        status=400 if form is not None else 200,
    )


@login_required
@require_http_methods(["GET"])
def obligations(request: HttpRequest, reference: str, code: str) -> HttpResponse:
    breach_file = visible_breach_file(current_user(request), reference, code)
    return _page(request, breach_file)


def _controller_regime(code: str) -> str:
    regime = REGIMES.get(code)
    if regime is None or regime.debtor != Debtor.CONTROLLER:
        raise Http404
    return regime.code


@login_required
@require_POST
def decide(request: HttpRequest, reference: str, code: str, regime: str) -> HttpResponse:
    user = current_user(request)
    breach_file = editable_breach_file(user, reference, code, object_type=AuditObject.OBLIGATION_DECISION)
    regime_code = _controller_regime(regime)
    form = ObligationDecisionForm(request.POST)
    if form.is_valid():
        try:
            services.decide_obligation(
                incident=breach_file.incident,
                breach_file=breach_file,
                regime=regime_code,
                applicability=form.cleaned_data["applicability"],
                reason=form.cleaned_data["reason"],
                user=user,
            )
        except services.ObligationRefused as error:
            add_validation_errors(form, error)
        else:
            return redirect(_detail_url(breach_file))
    return _page(request, breach_file, form=form, target=f"{regime_code}")


@login_required
@require_POST
def submit(request: HttpRequest, reference: str, code: str, regime: str, phase: str) -> HttpResponse:
    user = current_user(request)
    breach_file = editable_breach_file(user, reference, code, object_type=AuditObject.OBLIGATION_SUBMISSION)
    regime_code = _controller_regime(regime)
    form = PhaseSubmissionForm(request.POST)
    if form.is_valid():
        try:
            services.record_phase_submission(
                incident=breach_file.incident,
                breach_file=breach_file,
                regime=regime_code,
                phase=phase,
                submitted_at=form.cleaned_data["submitted_at"],
                reference=form.cleaned_data["reference"],
                delay_reasons=form.cleaned_data["delay_reasons"],
                user=user,
            )
        except services.LatePhaseError as error:
            form.add_error("delay_reasons", error.messages)
        except services.ObligationRefused as error:
            add_validation_errors(form, error)
        else:
            return redirect(_detail_url(breach_file))
    return _page(request, breach_file, form=form, target=f"{regime_code}/{phase}")
