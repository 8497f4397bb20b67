"""Pages of the compliance dashboard and the Art. 33(5) register, with their exports."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from breachdesk.access import (
    audit,
    current_user,
    require_oversight,
)
from breachdesk.csvfiles import spreadsheet_text
from breachdesk.downloads import private_response
from breachdesk.formats import reader_language
from breachdesk.models import AuditEvent, User
from notifications.forms.register import DashboardFilterForm, RegisterFilterForm
from notifications.models import NotificationAuditObject
from notifications.selectors import register as register_selectors
from notifications.selectors.obligations import obligation_grid


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
            "grid": obligation_grid(breach_files=[row.breach_file for row in rows], now=now),
        },
    )


def _csv_response(content: str, filename: str) -> HttpResponse:
    return private_response(HttpResponse(content, content_type="text/csv; charset=utf-8"), filename=filename)


@login_required
def compliance_export(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    require_oversight(user)
    _form, rows = _dashboard_rows(request, user)
    now = timezone.now()
    audit(user, AuditEvent.Action.EXPORT, NotificationAuditObject.COMPLIANCE_DASHBOARD_CSV, detail=f"{len(rows)} files")
    return _csv_response(
        spreadsheet_text(
            register_selectors.header(register_selectors.DASHBOARD_COLUMNS, language=reader_language()),
            register_selectors.dashboard_rows_for_csv(rows, now=now, language=reader_language()),
        ),
        f"breachdesk-dashboard-{now:%Y%m%d-%H%M}.csv",
    )


@dataclass(frozen=True)
class RegisterSelection:
    """The register's rows for the filters, the filters as the PDF names them and as the audit trail keeps them."""

    form: RegisterFilterForm
    rows: list[register_selectors.BreachFileRow]
    described: dict[str, str]
    audit_detail: str


def _register_rows(request: HttpRequest, user: User) -> RegisterSelection:
    form = RegisterFilterForm(request.GET or None, user=user)
    filters = form.cleaned_data if form.is_valid() else {}
    breach_files = register_selectors.visible_breach_files(
        user=user,
        organisation=filters.get("organisation"),
        aware_from=filters.get("aware_from"),
        aware_until=filters.get("aware_until"),
    ).order_by("became_aware_at", "controller__code")
    # Named in the reader's language on the PDF; the audit trail keeps codes and ISO dates, never sentences.
    described: dict[str, str] = {}
    codes: dict[str, str] = {}
    if filters.get("organisation"):
        described[_("Organisation")] = filters["organisation"].name
        codes["organisation"] = filters["organisation"].code
    if filters.get("aware_from"):
        described[_("From")] = filters["aware_from"].strftime("%d/%m/%Y")
        codes["aware_from"] = filters["aware_from"].isoformat()
    if filters.get("aware_until"):
        described[_("Until")] = filters["aware_until"].strftime("%d/%m/%Y")
        codes["aware_until"] = filters["aware_until"].isoformat()
    if not described:
        described[_("Scope")] = _("every breach you may see")
    return RegisterSelection(
        form=form,
        # The register (Art. 33(5)) names no campaign counts: its rows do not read the ledger.
        rows=register_selectors.breach_file_rows(breach_files, with_informing=False),
        described=described,
        audit_detail=("; ".join(f"{name}={value}" for name, value in codes.items()) or "all")[:200],
    )


@login_required
def register(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    require_oversight(user)
    selection = _register_rows(request, user)
    audit(user, AuditEvent.Action.VIEW, NotificationAuditObject.REGISTER, detail=selection.audit_detail)
    return render(
        request,
        "notifications/pages/register.html",
        {"form": selection.form, "rows": selection.rows, "query": request.GET.urlencode()},
    )


@login_required
def register_csv(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    require_oversight(user)
    selection = _register_rows(request, user)
    audit(user, AuditEvent.Action.EXPORT, NotificationAuditObject.REGISTER_CSV, detail=selection.audit_detail)
    return _csv_response(
        spreadsheet_text(
            register_selectors.header(register_selectors.REGISTER_COLUMNS, language=reader_language()),
            register_selectors.register_rows_for_csv(selection.rows, language=reader_language()),
        ),
        f"registre-violations-{timezone.now():%Y%m%d}.csv",
    )


@login_required
def register_pdf(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    require_oversight(user)
    selection = _register_rows(request, user)
    rendered = register_selectors.register_pdf(
        rows=selection.rows, title_filters=selection.described, user=user, language=reader_language()
    )
    audit(user, AuditEvent.Action.EXPORT, NotificationAuditObject.REGISTER_PDF, detail=selection.audit_detail)
    return private_response(
        HttpResponse(rendered.content, content_type="application/pdf"),
        filename=f"registre-violations-{timezone.now():%Y%m%d}.pdf",
    )
