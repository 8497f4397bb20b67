"""Pages of the core app: adapters that check access, call a service and render."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from breachdesk import panels, services
from breachdesk.access import current_user, editable_breach_file, require_editor, visible_breach_file
from breachdesk.forms import BreachFileForm, DashboardFilterForm
from breachdesk.models import AuditEvent, AuditObject, BreachFile, Role


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    home = panels.home_for(Role.MAILROOM)
    if home and not user.visible_organisations().exists() and user.mailroom_organisations().exists():
        # The mailroom sees print batches only: its home is the page the mailroom's app registered.
        return redirect(home)
    filters = DashboardFilterForm(request.GET or None, user=user)
    breach_files = BreachFile.objects.visible_to(user).select_related("incident", "controller").by_time_left()
    if filters.is_valid():
        if filters.cleaned_data["organisation"]:
            breach_files = breach_files.filter(controller=filters.cleaned_data["organisation"])
        if filters.cleaned_data["status"]:
            breach_files = breach_files.filter(status=filters.cleaned_data["status"])
    now = timezone.now()
    return render(
        request,
        "breachdesk/dashboard.html",
        {
            "breach_files": breach_files,
            "filters": filters,
            "now": now,
            "can_create": user.can_edit_breach_files(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def breach_file_create(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    require_editor(user, AuditObject.BREACH_FILE)
    form = BreachFileForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        breach_file = services.create_breach_file(breach_file=form.save(commit=False), user=user)
        return redirect(
            "breach_file_detail", reference=breach_file.incident.reference, code=breach_file.controller.code
        )
    return render(request, "breachdesk/breach_file_form.html", {"form": form, "breach_file": None})


@login_required
@require_http_methods(["GET", "POST"])
def breach_file_edit(request: HttpRequest, reference: str, code: str) -> HttpResponse:
    user = current_user(request)
    breach_file = editable_breach_file(user, reference, code)
    form = BreachFileForm(request.POST or None, instance=breach_file, user=user)
    if request.method == "POST" and form.is_valid():
        services.update_breach_file(breach_file=form.save(commit=False), changed_fields=form.changed_data, user=user)
        return redirect("breach_file_detail", reference=reference, code=code)
    return render(request, "breachdesk/breach_file_form.html", {"form": form, "breach_file": breach_file})


@login_required
def breach_file_detail(request: HttpRequest, reference: str, code: str) -> HttpResponse:
    user = current_user(request)
    breach_file = visible_breach_file(user, reference, code)
    services.record_audit(
        user=user,
        action=AuditEvent.Action.VIEW,
        object_type=AuditObject.BREACH_FILE,
        object_id=breach_file.pk,
        organisation_id=breach_file.controller_id,
    )
    subjects = breach_file.data_subjects.all()
    return render(
        request,
        "breachdesk/breach_file_detail.html",
        {
            "breach_file": breach_file,
            "events": breach_file.events.select_related("actor"),
            "subject_count": subjects.count(),
            "unreachable_count": subjects.filter(has_postal_address=False, has_email=False).count(),
            "can_edit": user.can_edit_breach_files(),
            "now": timezone.now(),
        },
    )
