"""Pages of the core app: adapters that check access, call a service and render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from breachdesk import panels, services
from breachdesk.access import current_user, describable_breach_file, require_recorder, visible_breach_file
from breachdesk.forms import BreachFileForm, DashboardFilterForm
from breachdesk.models import AuditEvent, AuditObject, BreachFile, Role
from breachdesk.sections import case_sections, still_unknown


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
            "can_create": user.can_record_breach_files(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def breach_file_create(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    require_recorder(user, AuditObject.BREACH_FILE)
    initial = {"incident": request.GET["incident"]} if request.GET.get("incident") else {}
    form = BreachFileForm(request.POST or None, initial=initial, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            created = services.create_breach_files(breach_files=form.new_breach_files(), user=user)
        except (IntegrityError, ValidationError):
            # Another person opened one of them meanwhile: the unique constraint refused it; say which.
            form.find_duplicates()
            if not form.duplicates:
                raise
        else:
            if len(created) == 1:
                return redirect(
                    "breach_file_detail", reference=created[0].incident.reference, code=created[0].controller.code
                )
            messages.success(
                request,
                ngettext("%(count)s breach file opened.", "%(count)s breach files opened.", len(created))
                % {"count": len(created)},
            )
            return redirect("incident_detail", reference=created[0].incident.reference)
    return render(request, "breachdesk/breach_file_form.html", {"form": form, "breach_file": None})


@login_required
@require_http_methods(["GET", "POST"])
def breach_file_edit(request: HttpRequest, reference: str, code: str) -> HttpResponse:
    user = current_user(request)
    breach_file = describable_breach_file(user, reference, code)
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
    shown = case_sections(breach_file)
    return render(
        request,
        "breachdesk/breach_file_detail.html",
        {
            "breach_file": breach_file,
            "sections": shown,
            "unknown": still_unknown(shown),
            "events": breach_file.events.select_related("actor"),
            "subject_count": subjects.count(),
            "unreachable_count": subjects.filter(has_postal_address=False, has_email=False).count(),
            "can_edit": user.can_edit_breach_files(),
            "can_describe": user.can_record_breach_files(),
            "now": timezone.now(),
        },
    )
