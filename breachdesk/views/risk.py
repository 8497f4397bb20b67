"""Pages of the risk assessment (ENISA) and the decisions to notify: adapters."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from breachdesk import assessment as risk_services
from breachdesk.access import (
    audit,
    current_user,
    editable_breach_file,
    visible_breach_file,
)
from breachdesk.forms import DecisionForm, RiskAssessmentForm, add_validation_errors
from breachdesk.models import AuditEvent, AuditObject, BreachFile, Decision, DecisionKind, RiskAssessment
from breachdesk.risk import (
    AVAILABILITY_POINTS,
    BAND_ORDER,
    CONFIDENTIALITY_POINTS,
    IDENTIFICATION_FACTOR,
    INTEGRITY_POINTS,
    MALICIOUS_INTENT_POINTS,
    Band,
    count_by_level,
)
from breachdesk.taxonomy import EXPOSURES

# The numbers the risk form's preview computes with (the recorded score always comes from breachdesk.risk).
ENISA_FACTORS = {
    "dpc": {code: exposure.base_dpc for code, exposure in EXPOSURES.items()},
    "health": [code for code, exposure in EXPOSURES.items() if exposure.is_health],
    "identification": {key.value: float(value) for key, value in IDENTIFICATION_FACTOR.items()},
    "confidentiality": {key.value: float(value) for key, value in CONFIDENTIALITY_POINTS.items()},
    "integrity": {key.value: float(value) for key, value in INTEGRITY_POINTS.items()},
    "availability": {key.value: float(value) for key, value in AVAILABILITY_POINTS.items()},
    "malicious": float(MALICIOUS_INTENT_POINTS),
}


def _enisa_factors() -> dict[str, object]:
    """The preview's numbers with the band names and the health note in the request's language."""
    return {
        **ENISA_FACTORS,
        "bands": {band.value: str(band.label) for band in Band},
        "health_note": _("health data: high at least (EDPB 9/2022 para 102)"),
    }


def _risk_page(
    request: HttpRequest,
    breach_file: BreachFile,
    *,
    assessment_form: RiskAssessmentForm | None = None,
    decision_forms: dict[str, DecisionForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    user = current_user(request)
    assessment = risk_services.latest_assessment(breach_file)
    groups = risk_services.subject_groups(breach_file=breach_file, assessment=assessment) if assessment else []
    decisions = risk_services.current_decisions(breach_file)
    proposals = (
        {
            kind: risk_services.propose_decision(
                breach_file=breach_file, kind=kind, assessment=assessment, groups=groups
            )
            for kind in DecisionKind.values
        }
        if assessment
        else {}
    )
    inform = decisions.get(DecisionKind.INFORM_SUBJECTS)
    # Counted from the groups already scored when the decision rests on the latest assessment: no second scan.
    covered = (
        risk_services.count_covered(inform, groups)
        if inform is None or (assessment is not None and inform.assessment_id == assessment.pk)
        else risk_services.subjects_to_inform(breach_file).count()
    )
    can_edit = user.can_edit_breach_files()
    if can_edit and assessment_form is None:
        exposures = assessment.exposures if assessment else risk_services.default_exposures(breach_file)
        assessment_form = RiskAssessmentForm(
            initial={
                "exposures": exposures,
                "identification": assessment.identification
                if assessment
                else risk_services.default_identification(exposures),
                "confidentiality": assessment.confidentiality if assessment else "unknown_recipients",
                "integrity": assessment.integrity if assessment else "none",
                "availability": assessment.availability if assessment else "none",
                "is_malicious": assessment.is_malicious if assessment else False,
                "notes": assessment.notes if assessment else "",
            }
        )
    decision_forms = dict(decision_forms or {})
    if can_edit and assessment:
        for kind, proposal in proposals.items():
            decision_forms.setdefault(
                kind, DecisionForm(kind=kind, initial={"outcome": proposal.outcome, "levels": proposal.levels})
            )
    audit(user, AuditEvent.Action.VIEW, AuditObject.RISK_ASSESSMENT, breach_file)
    return render(
        request,
        "breachdesk/risk.html",
        {
            "breach_file": breach_file,
            "assessment": assessment,
            "history": RiskAssessment.objects.filter(breach_file=breach_file)
            .latest_first()
            .select_related("assessed_by")[1:],
            "groups": groups,
            "subjects_by_level": count_by_level(groups),
            "band_order": BAND_ORDER,
            "decisions": decisions,
            "decision_history": Decision.objects.filter(breach_file=breach_file)
            .latest_first()
            .select_related("decided_by"),
            "proposals": proposals,
            "assessment_form": assessment_form,
            "decision_forms": decision_forms,
            "decision_kinds": DecisionKind.choices,
            "can_edit": can_edit,
            "subjects_to_inform": covered,
            "enisa_factors": _enisa_factors(),
        },
        status=status,
    )


@login_required
def risk(request: HttpRequest, reference: str, code: str) -> HttpResponse:
    user = current_user(request)
    return _risk_page(request, visible_breach_file(user, reference, code))


@login_required
@require_POST
def risk_assess(request: HttpRequest, reference: str, code: str) -> HttpResponse:
    user = current_user(request)
    breach_file = editable_breach_file(user, reference, code)
    form = RiskAssessmentForm(request.POST)
    if form.is_valid():
        try:
            risk_services.assess_risk(breach_file=breach_file, user=user, **form.cleaned_data)
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            messages.success(request, _("Risk assessment recorded."))
            return redirect(reverse("risk", args=[reference, code]) + "#assessment")
    return _risk_page(request, breach_file, assessment_form=form, status=400)


@login_required
@require_POST
def decide(request: HttpRequest, reference: str, code: str, kind: str) -> HttpResponse:
    user = current_user(request)
    breach_file = editable_breach_file(user, reference, code)
    if kind not in DecisionKind.values:
        raise Http404
    form = DecisionForm(request.POST, kind=kind)
    if form.is_valid():
        try:
            risk_services.record_decision(breach_file=breach_file, user=user, kind=kind, **form.cleaned_data)
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            messages.success(request, _("Decision recorded."))
            return redirect(reverse("risk", args=[reference, code]) + f"#decision-{kind}")
    return _risk_page(request, breach_file, decision_forms={kind: form}, status=400)
