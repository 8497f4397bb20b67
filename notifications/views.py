"""Pages of the risk assessment, decisions, CNIL filings, processor notices, dashboard and register: adapters."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from breachdesk import assessment as risk_services
from breachdesk.models import AuditEvent, BreachFile, Decision, DecisionKind, Incident, RiskAssessment, Role, User
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
from breachdesk.services import record_audit
from breachdesk.taxonomy import EXPOSURES
from breachdesk.views import _user, visible_breach_file
from notifications import cnil, services, storage
from notifications.csvsafe import csv_text
from notifications.forms import (
    DashboardFilterForm,
    DecisionForm,
    PrepareFilingForm,
    RegisterFilterForm,
    RiskAssessmentForm,
    SubmissionForm,
)
from notifications.models import Filing, ProcessorNotice


def _audit(user: User, action: str, object_type: str, breach_file: BreachFile | None = None, **kwargs: object) -> None:
    record_audit(
        user=user,
        action=action,
        object_type=object_type,
        object_id=kwargs.pop("object_id", breach_file.pk if breach_file else ""),
        organisation_id=breach_file.controller_id if breach_file else None,
        detail=str(kwargs.pop("detail", "")),
    )


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


def _editable_breach_file(user: User, reference: str, code: str) -> BreachFile:
    """Return the breach file when the user may change it (its lab's DPO, an admin); 404 otherwise."""
    breach_file = visible_breach_file(user, reference, code)
    if not user.can_edit_breach_files():
        _audit(user, AuditEvent.Action.DENIED, "breach_file", breach_file, detail="change refused")
        raise Http404
    return breach_file


def _require_oversight(user: User) -> None:
    """Let DPOs (own lab), compliance officers (their group) and admins in; the others get a 404."""
    if not (user.is_active and (user.is_admin_role or user.role in (Role.COMPLIANCE_OFFICER, Role.DPO))):
        _audit(user, AuditEvent.Action.DENIED, "oversight")
        raise Http404


def _require_processor_side(user: User) -> None:
    if not (user.is_active and (user.is_admin_role or user.role == Role.COMPLIANCE_OFFICER)):
        _audit(user, AuditEvent.Action.DENIED, "processor_notices")
        raise Http404


def _form_errors(form: object, error: ValidationError) -> None:
    from django import forms

    assert isinstance(form, forms.Form)
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


# Risk assessment and decisions ------------------------------------------------------------------------------


def _risk_page(
    request: HttpRequest,
    breach_file: BreachFile,
    *,
    assessment_form: RiskAssessmentForm | None = None,
    decision_forms: dict[str, DecisionForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    user = _user(request)
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
    _audit(user, AuditEvent.Action.VIEW, "risk_assessment", breach_file)
    return render(
        request,
        "notifications/pages/risk.html",
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
    user = _user(request)
    return _risk_page(request, visible_breach_file(user, reference, code))


@login_required
@require_POST
def risk_assess(request: HttpRequest, reference: str, code: str) -> HttpResponse:
    user = _user(request)
    breach_file = _editable_breach_file(user, reference, code)
    form = RiskAssessmentForm(request.POST)
    if form.is_valid():
        try:
            risk_services.assess_risk(breach_file=breach_file, user=user, **form.cleaned_data)
        except ValidationError as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("Risk assessment recorded."))
            return redirect(reverse("notifications:risk", args=[reference, code]) + "#assessment")
    return _risk_page(request, breach_file, assessment_form=form, status=400)


@login_required
@require_POST
def decide(request: HttpRequest, reference: str, code: str, kind: str) -> HttpResponse:
    user = _user(request)
    breach_file = _editable_breach_file(user, reference, code)
    if kind not in DecisionKind.values:
        raise Http404
    form = DecisionForm(request.POST, kind=kind)
    if form.is_valid():
        try:
            risk_services.record_decision(breach_file=breach_file, user=user, kind=kind, **form.cleaned_data)
        except ValidationError as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("Decision recorded."))
            return redirect(reverse("notifications:risk", args=[reference, code]) + f"#decision-{kind}")
    return _risk_page(request, breach_file, decision_forms={kind: form}, status=400)


# CNIL filings --------------------------------------------------------------------------------------------------


def _gaps_with_links(breach_file: BreachFile, gaps: list[dict[str, object]]) -> list[dict[str, object]]:
    return [{**gap, "url": cnil.edit_url(breach_file, str(gap["edit"]))} for gap in gaps]


@login_required
@require_http_methods(["GET", "POST"])
def filings(request: HttpRequest, reference: str, code: str) -> HttpResponse:
    user = _user(request)
    breach_file = visible_breach_file(user, reference, code)
    kind = services.next_filing_kind(breach_file)
    completeness = services.check_completeness(breach_file=breach_file, kind=kind)
    can_edit = user.can_edit_breach_files()
    form = PrepareFilingForm(request.POST or None, initial={"kind": kind}, is_complete=completeness.is_complete)
    status = 200
    if request.method == "POST":
        if not can_edit:
            _audit(user, AuditEvent.Action.DENIED, "filing", breach_file)
            raise Http404
        if form.is_valid():
            try:
                filing = services.prepare_filing(breach_file=breach_file, kind=form.cleaned_data["kind"], user=user)
            except ValidationError as error:
                _form_errors(form, error)
            else:
                messages.success(request, _("Filing prepared: the PDF dossier is being generated."))
                return redirect("notifications:filing", reference=reference, code=code, version=filing.version)
        status = 400
    _audit(user, AuditEvent.Action.VIEW, "filings", breach_file)
    return render(
        request,
        "notifications/pages/filings.html",
        {
            "breach_file": breach_file,
            "filings": Filing.objects.filter(breach_file=breach_file)
            .order_by("-version")
            .select_related("prepared_by"),
            "kind": kind,
            "completeness": completeness,
            "missing": _gaps_with_links(breach_file, [gap.as_json() for gap in completeness.missing]),
            "unknown": _gaps_with_links(breach_file, [gap.as_json() for gap in completeness.unknown]),
            "form": form,
            "can_edit": can_edit,
            "now": timezone.now(),
        },
        status=status,
    )


def _visible_filing(user: User, reference: str, code: str, version: int) -> Filing:
    breach_file = visible_breach_file(user, reference, code)
    filing = get_object_or_404(
        Filing.objects.select_related("breach_file__incident", "breach_file__controller", "previous", "prepared_by"),
        breach_file=breach_file,
        version=version,
    )
    return filing


@login_required
@require_http_methods(["GET", "POST"])
def filing_detail(request: HttpRequest, reference: str, code: str, version: int) -> HttpResponse:
    user = _user(request)
    filing = _visible_filing(user, reference, code, version)
    breach_file = filing.breach_file
    can_edit = user.can_edit_breach_files()
    needs_reasons = filing.kind == Filing.Kind.INITIAL and not breach_file.delay_reasons.strip()
    form = SubmissionForm(
        request.POST or None,
        initial={"submitted_at": timezone.localtime().replace(second=0, microsecond=0, tzinfo=None)},
    )
    status = 200
    if request.method == "POST":
        if not can_edit:
            _audit(user, AuditEvent.Action.DENIED, "filing", breach_file)
            raise Http404
        if form.is_valid():
            try:
                services.record_submission(
                    filing=filing,
                    user=user,
                    submitted_at=form.cleaned_data["submitted_at"],
                    case_number=form.cleaned_data["case_number"],
                    delay_reasons=form.cleaned_data["delay_reasons"] or None,
                )
            except ValidationError as error:
                if getattr(error, "code", "") == "delay_reasons_required":
                    form.add_error("delay_reasons", error.messages)
                else:
                    _form_errors(form, error)
            else:
                messages.success(request, _("Submission recorded."))
                return redirect("notifications:filing", reference=reference, code=code, version=version)
        status = 400
    context = services.dossier_context(filing)
    _audit(user, AuditEvent.Action.VIEW, "filing", breach_file, object_id=filing.pk)
    return render(
        request,
        "notifications/pages/filing.html",
        {
            **context,
            "missing": _gaps_with_links(breach_file, filing.missing),
            "unknown": _gaps_with_links(breach_file, filing.unknown),
            "form": form,
            "can_edit": can_edit,
            "needs_reasons": needs_reasons,
            "deadline": breach_file.authority_deadline,
        },
        status=status,
    )


@login_required
def filing_pdf(request: HttpRequest, reference: str, code: str, version: int) -> FileResponse:
    user = _user(request)
    filing = _visible_filing(user, reference, code, version)
    if filing.state != Filing.State.READY or not storage.exists(filing.pdf_path):
        raise Http404
    _audit(user, AuditEvent.Action.DOWNLOAD, "filing_pdf", filing.breach_file, object_id=filing.pk)
    response = FileResponse(
        storage.private_path(filing.pdf_path).open("rb"),
        content_type="application/pdf",
        as_attachment=request.GET.get("download") == "1",
        filename=f"notification-cnil-{reference}-{code}-v{version}.pdf",
    )
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def filing_json(request: HttpRequest, reference: str, code: str, version: int) -> JsonResponse:
    user = _user(request)
    filing = _visible_filing(user, reference, code, version)
    _audit(user, AuditEvent.Action.EXPORT, "filing_json", filing.breach_file, object_id=filing.pk)
    data = cnil.export(
        cnil.TEMPLATES[filing.template],
        filing.snapshot,
        {
            "breach_file": {"incident": reference, "organisation": code},
            "filing": {
                "type": filing.kind,
                "version": filing.version,
                "initial_case_number": filing.initial_case_number or None,
                "prepared_at": filing.prepared_at.isoformat(),
                "is_complete": filing.is_complete,
                "is_late": filing.is_late,
                "submitted_at": filing.submitted_at.isoformat() if filing.submitted_at else None,
                "cnil_case_number": filing.cnil_case_number or None,
            },
            "missing": filing.missing,
            "not_known_yet": filing.unknown,
            "changes": filing.changes,
        },
    )
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False, "indent": 2})
    response["Content-Disposition"] = f'attachment; filename="notification-cnil-{reference}-{code}-v{version}.json"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def filing_regenerate(request: HttpRequest, reference: str, code: str, version: int) -> HttpResponse:
    user = _user(request)
    filing = _visible_filing(user, reference, code, version)
    if not user.can_edit_breach_files():
        raise Http404
    services.regenerate_filing_dossier(filing=filing, user=user)
    return redirect("notifications:filing", reference=reference, code=code, version=version)


# Processor notices (Art. 33(2)) -----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def processor_notices(request: HttpRequest, reference: str) -> HttpResponse:
    user = _user(request)
    _require_processor_side(user)
    incident = get_object_or_404(Incident.objects.select_related("processor"), reference=reference)
    breach_files = BreachFile.objects.visible_to(user).filter(incident=incident)
    if not breach_files.exists():
        raise Http404
    if request.method == "POST":
        try:
            result = services.notify_controllers(incident=incident, user=user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                _("%(queued)s notices queued, %(requeued)s retried, %(already)s controllers already informed.")
                % {
                    "queued": len(result.queued),
                    "requeued": len(result.requeued),
                    "already": len(result.already_informed),
                },
            )
        return redirect("notifications:processor_notices", reference=reference)
    notices = {notice.breach_file_id: notice for notice in ProcessorNotice.objects.filter(breach_file__in=breach_files)}
    rows = [
        (breach_file, notices.get(breach_file.pk))
        for breach_file in breach_files.select_related("controller").order_by("controller__code")
    ]
    _audit(user, AuditEvent.Action.VIEW, "processor_notices", object_id=incident.pk)
    return render(
        request,
        "notifications/pages/processor_notices.html",
        {
            "incident": incident,
            "rows": rows,
            "pending": sum(1 for _breach_file, notice in rows if notice is None),
        },
    )


@login_required
def processor_letter(request: HttpRequest, reference: str, code: str) -> FileResponse:
    user = _user(request)
    breach_file = visible_breach_file(user, reference, code)
    notice = ProcessorNotice.objects.filter(breach_file=breach_file).first()
    if notice is None or not storage.exists(notice.letter_path):
        raise Http404
    _audit(user, AuditEvent.Action.DOWNLOAD, "processor_letter", breach_file, object_id=notice.pk)
    response = FileResponse(
        storage.private_path(notice.letter_path).open("rb"),
        content_type="application/pdf",
        filename=f"notification-sous-traitant-{reference}-{code}.pdf",
    )
    response["Cache-Control"] = "private, no-store"
    return response


# Compliance dashboard and register --------------------------------------------------------------------------


def _dashboard_rows(request: HttpRequest, user: User) -> tuple[DashboardFilterForm, list[services.BreachFileRow]]:
    form = DashboardFilterForm(request.GET or None, user=user)
    filters = form.cleaned_data if form.is_valid() else {}
    breach_files = services.visible_breach_files(
        user=user,
        organisation=filters.get("organisation"),
        status=filters.get("status", ""),
        incident=filters.get("incident"),
    ).by_time_left()
    return form, services.breach_file_rows(breach_files)


@login_required
def compliance_dashboard(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    _require_oversight(user)
    form, rows = _dashboard_rows(request, user)
    now = timezone.now()
    _audit(user, AuditEvent.Action.VIEW, "compliance_dashboard", detail=f"{len(rows)} files")
    return render(
        request,
        "notifications/pages/dashboard.html",
        {
            "form": form,
            "rows": rows,
            "now": now,
            "overdue": sum(1 for row in rows if row.breach_file.is_overdue(now=now)),
            "query": request.GET.urlencode(),
        },
    )


def _csv_response(content: str, filename: str) -> HttpResponse:
    # A byte-order mark lets spreadsheets read the accents.
    response = HttpResponse("\ufeff" + content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def compliance_export(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    _require_oversight(user)
    _form, rows = _dashboard_rows(request, user)
    now = timezone.now()
    _audit(user, AuditEvent.Action.EXPORT, "compliance_dashboard_csv", detail=f"{len(rows)} files")
    return _csv_response(
        csv_text(services.DASHBOARD_HEADER, services.dashboard_rows_for_csv(rows, now=now)),
        f"breachdesk-dashboard-{now:%Y%m%d-%H%M}.csv",
    )


def _register_rows(
    request: HttpRequest, user: User
) -> tuple[RegisterFilterForm, list[services.BreachFileRow], dict[str, str]]:
    form = RegisterFilterForm(request.GET or None, user=user)
    filters = form.cleaned_data if form.is_valid() else {}
    breach_files = services.visible_breach_files(
        user=user,
        organisation=filters.get("organisation"),
        aware_from=filters.get("aware_from"),
        aware_until=filters.get("aware_until"),
    ).order_by("became_aware_at", "controller__code")
    described = {}
    if filters.get("organisation"):
        described["Organisme"] = filters["organisation"].name
    if filters.get("aware_from"):
        described["Du"] = filters["aware_from"].strftime("%d/%m/%Y")
    if filters.get("aware_until"):
        described["Au"] = filters["aware_until"].strftime("%d/%m/%Y")
    if not described:
        described["Périmètre"] = "toutes les violations visibles"
    return form, services.breach_file_rows(breach_files), described


def _filter_detail(described: dict[str, str]) -> str:
    return "; ".join(f"{name}={value}" for name, value in described.items())[:200]


@login_required
def register(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    _require_oversight(user)
    form, rows, described = _register_rows(request, user)
    _audit(user, AuditEvent.Action.VIEW, "register", detail=_filter_detail(described))
    return render(
        request,
        "notifications/pages/register.html",
        {"form": form, "rows": rows, "query": request.GET.urlencode()},
    )


@login_required
def register_csv(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    _require_oversight(user)
    _form, rows, described = _register_rows(request, user)
    _audit(user, AuditEvent.Action.EXPORT, "register_csv", detail=_filter_detail(described))
    return _csv_response(
        csv_text(services.REGISTER_HEADER, services.register_rows_for_csv(rows)),
        f"registre-violations-{timezone.now():%Y%m%d}.csv",
    )


@login_required
def register_pdf(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    _require_oversight(user)
    _form, rows, described = _register_rows(request, user)
    rendered = services.register_pdf(rows=rows, title_filters=described, user=user)
    _audit(user, AuditEvent.Action.EXPORT, "register_pdf", detail=_filter_detail(described))
    response = HttpResponse(rendered.content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="registre-violations-{timezone.now():%Y%m%d}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response
