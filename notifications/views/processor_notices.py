"""Pages of the processor's notices to its controllers (Art. 33(2))."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from breachdesk.access import (
    audit,
    current_user,
    require_processor_side,
    visible_breach_file,
)
from breachdesk.downloads import private_response
from breachdesk.models import AuditEvent, BreachFile, Incident, User
from notifications import storage
from notifications.forms.filings import FanOutConfirmForm
from notifications.models import NotificationAuditObject, ProcessorNotice
from notifications.selectors.processor_notices import fan_out_preview
from notifications.services import processor_notices as processor_notice_services


def _incident_of_processor_side(user: User, reference: str) -> Incident:
    require_processor_side(user)
    incident = get_object_or_404(Incident.objects.select_related("processor"), reference=reference)
    if not BreachFile.objects.visible_to(user).filter(incident=incident).exists():
        audit(user, AuditEvent.Action.DENIED, NotificationAuditObject.PROCESSOR_NOTICES, object_id=incident.pk)
        raise Http404
    return incident


def _confirmation(request: HttpRequest, incident: Incident, user: User, form: FanOutConfirmForm) -> HttpResponse:
    return render(
        request,
        "notifications/pages/processor_notices_confirm.html",
        {"incident": incident, "preview": fan_out_preview(incident=incident, user=user), "form": form},
    )


@login_required
@require_http_methods(["GET", "POST"])
def processor_notices(request: HttpRequest, reference: str) -> HttpResponse:
    user = current_user(request)
    incident = _incident_of_processor_side(user, reference)
    breach_files = BreachFile.objects.visible_to(user).filter(incident=incident)
    if request.method == "POST":
        # One action emails every controller's DPO: only the confirmation page's ticked form acts.
        if "confirming" not in request.POST:
            return redirect("notifications:processor_notices_confirm", reference=reference)
        form = FanOutConfirmForm(request.POST)
        if not form.is_valid():
            return _confirmation(request, incident, user, form)
        try:
            result = processor_notice_services.notify_controllers(incident=incident, user=user)
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
    notices = {
        notice.breach_file_id: notice
        for notice in ProcessorNotice.objects.filter(breach_file__in=breach_files).select_related("email")
    }
    rows = [
        (breach_file, notices.get(breach_file.pk))
        for breach_file in breach_files.select_related("controller").order_by("controller__code")
    ]
    audit(user, AuditEvent.Action.VIEW, NotificationAuditObject.PROCESSOR_NOTICES, object_id=incident.pk)
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
@require_GET
def processor_notices_confirm(request: HttpRequest, reference: str) -> HttpResponse:
    """Name the controllers one run notifies or tries again, before it does."""
    user = current_user(request)
    incident = _incident_of_processor_side(user, reference)
    return _confirmation(request, incident, user, FanOutConfirmForm())


@login_required
def processor_letter(request: HttpRequest, reference: str, code: str) -> FileResponse:
    user = current_user(request)
    breach_file = visible_breach_file(user, reference, code)
    notice = ProcessorNotice.objects.filter(breach_file=breach_file).first()
    if notice is None or not storage.exists(notice.letter_path):
        raise Http404
    audit(user, AuditEvent.Action.DOWNLOAD, NotificationAuditObject.PROCESSOR_LETTER, breach_file, object_id=notice.pk)
    return private_response(
        FileResponse(storage.open_decrypted(notice.letter_path), content_type="application/pdf"),
        filename=f"notification-sous-traitant-{reference}-{code}.pdf",
        inline=True,
    )
