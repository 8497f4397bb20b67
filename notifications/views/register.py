"""Pages of the compliance dashboard and the Art. 33(5) register, with their exports."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from breachdesk.access import (
    audit,
    current_user,
    require_oversight,
)
from breachdesk.csvfiles import csv_text
from breachdesk.downloads import private_response
from breachdesk.models import AuditEvent, User
from notifications.forms.register import DashboardFilterForm, RegisterFilterForm
from notifications.models import NotificationAuditObject
from notifications.selectors import register as register_selectors


def _dashboard_rows(
    request: HttpRequest, user: User
) -> tuple[DashboardFilterForm, list[register_selectors.BreachFileRow]]:
    form = DashboardFilterForm(request.GET or None, user=user)
    filters = form.cleaned_data if form.is_valid() else {}
    breach_files = register_selectors.visible_breach_files(
        user=user,
        organisation=filters.get("organisation"),
        status=filters.get("status", ""),
        incident=filters.get("incident"),
    ).by_time_left()
    return form, register_selectors.breach_file_rows(breach_files)


@login_required
def compliance_dashboard(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    require_oversight(user)
    form, rows = _dashboard_rows(request, user)
    now = timezone.now()
    audit(user, AuditEvent.Action.VIEW, NotificationAuditObject.COMPLIANCE_DASHBOARD, detail=f"{len(rows)} files")
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
    return private_response(HttpResponse("\ufeff" + content, content_type="text/csv; charset=utf-8"), filename=filename)


@login_required
def compliance_export(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    require_oversight(user)
    _form, rows = _dashboard_rows(request, user)
    now = timezone.now()
    audit(user, AuditEvent.Action.EXPORT, NotificationAuditObject.COMPLIANCE_DASHBOARD_CSV, detail=f"{len(rows)} files")
    return _csv_response(
        csv_text(register_selectors.DASHBOARD_HEADER, register_selectors.dashboard_rows_for_csv(rows, now=now)),
        f"breachdesk-dashboard-{now:%Y%m%d-%H%M}.csv",
    )


def _register_rows(
    request: HttpRequest, user: User
) -> tuple[RegisterFilterForm, list[register_selectors.BreachFileRow], dict[str, str]]:
    form = RegisterFilterForm(request.GET or None, user=user)
    filters = form.cleaned_data if form.is_valid() else {}
    breach_files = register_selectors.visible_breach_files(
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
    return form, register_selectors.breach_file_rows(breach_files), described


def _filter_detail(described: dict[str, str]) -> str:
    return "; ".join(f"{name}={value}" for name, value in described.items())[:200]


@login_required
def register(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    require_oversight(user)
    form, rows, described = _register_rows(request, user)
    audit(user, AuditEvent.Action.VIEW, NotificationAuditObject.REGISTER, detail=_filter_detail(described))
    return render(
        request,
        "notifications/pages/register.html",
        {"form": form, "rows": rows, "query": request.GET.urlencode()},
    )


@login_required
def register_csv(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    require_oversight(user)
    _form, rows, described = _register_rows(request, user)
    audit(user, AuditEvent.Action.EXPORT, NotificationAuditObject.REGISTER_CSV, detail=_filter_detail(described))
    return _csv_response(
        csv_text(register_selectors.REGISTER_HEADER, register_selectors.register_rows_for_csv(rows)),
        f"registre-violations-{timezone.now():%Y%m%d}.csv",
    )


@login_required
def register_pdf(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    require_oversight(user)
    _form, rows, described = _register_rows(request, user)
    rendered = register_selectors.register_pdf(rows=rows, title_filters=described, user=user)
    audit(user, AuditEvent.Action.EXPORT, NotificationAuditObject.REGISTER_PDF, detail=_filter_detail(described))
    return private_response(
        HttpResponse(rendered.content, content_type="application/pdf"),
        filename=f"registre-violations-{timezone.now():%Y%m%d}.pdf",
    )
