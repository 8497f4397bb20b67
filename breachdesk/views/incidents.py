"""Incidents: open one with its processor, then the breach files of the controllers concerned; see its files."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from breachdesk import services
from breachdesk.access import audit, current_user, require_oversight, require_recorder, visible_incident
from breachdesk.forms import IncidentForm, ProcessorForm
from breachdesk.models import AuditEvent, AuditObject, BreachFile, Incident


@login_required
def incident_list(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    require_oversight(user)
    visible_files = Q(breach_files__controller__in=user.visible_organisations())
    incidents = (
        Incident.objects.visible_to(user)
        .select_related("processor")
        .annotate(file_count=Count("breach_files", filter=visible_files, distinct=True))
        .order_by("-created_at")
    )
    return render(
        request,
        "breachdesk/incident_list.html",
        {"incidents": incidents, "can_create": user.can_record_breach_files()},
    )


@login_required
@require_http_methods(["GET", "POST"])
def incident_create(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    require_recorder(user, AuditObject.INCIDENT)
    form = IncidentForm(request.POST or None, user=user)
    processor_form = ProcessorForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and processor_form.is_valid():
        is_new_processor = processor_form.has_changed()
        if is_new_processor and form.cleaned_data["processor"] is not None:
            form.add_error("processor", _("Choose a processor in the list or create a new one, not both."))
        else:
            incident = services.create_incident(
                incident=form.save(commit=False),
                new_processor=processor_form.save(commit=False) if is_new_processor else None,
                user=user,
            )
            messages.success(
                request,
                _("Incident %(reference)s opened. Now open the breach file of each controller concerned.")
                % {"reference": incident.reference},
            )
            return redirect(f"{reverse('breach_file_create')}?incident={incident.reference}")
    return render(request, "breachdesk/incident_form.html", {"form": form, "processor_form": processor_form})


@login_required
def incident_detail(request: HttpRequest, reference: str) -> HttpResponse:
    user = current_user(request)
    incident = visible_incident(user, reference)
    breach_files = (
        BreachFile.objects.visible_to(user)
        .filter(incident=incident)
        .select_related("incident", "controller")
        .order_by("controller__name", "pk")
    )
    audit(user, AuditEvent.Action.VIEW, AuditObject.INCIDENT, object_id=incident.pk)
    return render(
        request,
        "breachdesk/incident_detail.html",
        {
            "incident": incident,
            "breach_files": breach_files,
            "can_create": user.can_record_breach_files(),
            "now": timezone.now(),
        },
    )
