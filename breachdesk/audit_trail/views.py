"""The audit trail page and its CSV export; reading either is itself audited."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from breachdesk.access import audit, current_user, require_audit_reader
from breachdesk.audit_trail import selectors
from breachdesk.audit_trail.forms import AuditFilterForm
from breachdesk.csvfiles import spreadsheet_lines
from breachdesk.downloads import private_response
from breachdesk.formats import reader_language
from breachdesk.models import AuditEvent, AuditObject, Organisation, User

PAGE_SIZE = 50


def _selection(request: HttpRequest, reader: User) -> tuple[AuditFilterForm, Any, dict[int, Organisation], str]:
    """The reader's entries for the filters, the filters' form, the organisations by id and the filters as codes."""
    organisations = selectors.organisations_in_scope(reader)
    form = AuditFilterForm(request.GET or None, reader=reader, organisations=organisations)
    filters = form.cleaned_data if form.is_valid() else {}
    by_code = {organisation.code: organisation for organisation in organisations.values()}
    events = selectors.filtered_events(
        selectors.visible_events(reader, list(organisations)),
        user=filters.get("user"),
        organisation=by_code.get(filters.get("organisation") or ""),
        object_type=filters.get("object_type", ""),
        action=filters.get("action", ""),
        on_or_after=filters.get("on_or_after"),
        on_or_before=filters.get("on_or_before"),
    )
    # The trail keeps the filters as codes and ISO dates, never names.
    codes = {
        "user": filters["user"].pk if filters.get("user") else None,
        "organisation": filters.get("organisation"),
        "object_type": filters.get("object_type"),
        "action": filters.get("action"),
        "from": filters["on_or_after"].isoformat() if filters.get("on_or_after") else None,
        "until": filters["on_or_before"].isoformat() if filters.get("on_or_before") else None,
    }
    detail = "; ".join(f"{name}={value}" for name, value in codes.items() if value) or "all"
    return form, events, organisations, detail[:200]


@login_required
@require_GET
def audit_trail(request: HttpRequest) -> HttpResponse:
    reader = current_user(request)
    require_audit_reader(reader)
    form, events, organisations, detail = _selection(request, reader)
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    lines = selectors.audit_lines(page.object_list, organisations)
    audit(reader, AuditEvent.Action.VIEW, AuditObject.AUDIT_TRAIL, detail=f"page={page.number}; {detail}")
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "breachdesk/audit_trail.html",
        {"form": form, "page": page, "lines": lines, "query": query.urlencode()},
    )


@login_required
@require_GET
def audit_trail_csv(request: HttpRequest) -> StreamingHttpResponse:
    reader = current_user(request)
    require_audit_reader(reader)
    _form, events, organisations, detail = _selection(request, reader)
    language = reader_language()
    audit(reader, AuditEvent.Action.EXPORT, AuditObject.AUDIT_TRAIL, detail=detail)
    lines = spreadsheet_lines(
        selectors.csv_header(language), selectors.csv_rows(events, organisations, language=language)
    )
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    return private_response(response, filename=f"audit-trail-{timezone.now():%Y%m%d-%H%M}.csv")
