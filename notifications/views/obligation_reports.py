"""Pages of the copy-ready reports of the other obligations: page, PDF and JSON, in French."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from breachdesk.access import audit, current_user, visible_breach_file
from breachdesk.downloads import private_response
from breachdesk.formats import paris_datetime
from breachdesk.models import AuditEvent, BreachFile, User
from notifications import pdf
from notifications.models import NotificationAuditObject
from notifications.obligation_reports import Report, build_report, has_report


def _report_of(user: User, reference: str, code: str, regime: str, phase: str) -> tuple[BreachFile, Report]:
    breach_file = visible_breach_file(user, reference, code)
    if not has_report(regime, phase):
        raise Http404
    return breach_file, build_report(breach_file=breach_file, regime=regime, phase=phase)


def _context(breach_file: BreachFile, report: Report) -> dict[str, object]:
    return {
        "breach_file": breach_file,
        "report": report,
        "reference": f"{breach_file.incident.reference} / {breach_file.controller.code}",
        "generated_at": paris_datetime(timezone.now()),
    }


@login_required
@require_GET
def report(request: HttpRequest, reference: str, code: str, regime: str, phase: str) -> HttpResponse:
    user = current_user(request)
    breach_file, built = _report_of(user, reference, code, regime, phase)
    audit(user, AuditEvent.Action.VIEW, NotificationAuditObject.OBLIGATION_REPORT, breach_file, detail=regime)
    return render(request, "notifications/pages/obligation_report.html", _context(breach_file, built))


@login_required
@require_GET
def report_pdf(request: HttpRequest, reference: str, code: str, regime: str, phase: str) -> HttpResponse:
    user = current_user(request)
    breach_file, built = _report_of(user, reference, code, regime, phase)
    audit(user, AuditEvent.Action.EXPORT, NotificationAuditObject.OBLIGATION_REPORT, breach_file, detail=regime)
    rendered = pdf.render_pdf(
        "notifications/pdf/obligation_report.html", _context(breach_file, built), author=breach_file.controller.name
    )
    return private_response(
        HttpResponse(rendered.content, content_type="application/pdf"),
        filename=f"{regime}-{phase}-{breach_file.controller.code}.pdf",
    )


@login_required
@require_GET
def report_json(request: HttpRequest, reference: str, code: str, regime: str, phase: str) -> JsonResponse:
    user = current_user(request)
    breach_file, built = _report_of(user, reference, code, regime, phase)
    audit(user, AuditEvent.Action.EXPORT, NotificationAuditObject.OBLIGATION_REPORT, breach_file, detail=regime)
    data = built.as_json(reference=f"{reference}/{code}", generated_at=timezone.now())
    return private_response(JsonResponse(data, json_dumps_params={"ensure_ascii": False, "indent": 2}))
