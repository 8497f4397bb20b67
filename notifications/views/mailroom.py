"""The mailroom console: print batches, their manifests, printed and posted, returned letters."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from breachdesk.access import (
    audit,
    current_user,
)
from breachdesk.downloads import private_response
from breachdesk.models import AuditEvent, Organisation, User
from notifications.forms.campaigns import PostedConfirmForm, PostedForm, ReturnForm
from notifications.models import Channel, Notice, NoticeState, NotificationAuditObject, PrintBatch
from notifications.selectors import exports
from notifications.services import campaigns
from notifications.services import mailroom as mailroom_services


def _mailroom_organisations(user: User) -> models.QuerySet[Organisation]:
    organisations = user.mailroom_organisations()
    if not organisations.exists():
        audit(user, AuditEvent.Action.DENIED, NotificationAuditObject.MAILROOM, object_id="", organisation_id=None)
        raise Http404
    return organisations


def _batch(user: User, pk: int) -> PrintBatch:
    organisations = _mailroom_organisations(user)
    batch = (
        PrintBatch.objects.select_related("campaign__breach_file__controller", "campaign__breach_file__incident")
        .filter(pk=pk, campaign__breach_file__controller__in=organisations)
        .first()
    )
    if batch is None:
        audit(user, AuditEvent.Action.DENIED, NotificationAuditObject.PRINT_BATCH, object_id=pk, organisation_id=None)
        raise Http404
    return batch


@login_required
@require_GET
def mailroom(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    organisations = _mailroom_organisations(user)
    state = request.GET.get("state", "")
    batches = (
        PrintBatch.objects.select_related("campaign__breach_file__controller", "campaign__breach_file__incident")
        .filter(campaign__breach_file__controller__in=organisations)
        .order_by("campaign__breach_file__controller__code", "-campaign__launched_at", "number")
    )
    if state in PrintBatch.State.values:
        batches = batches.filter(state=state)
    page = Paginator(batches, 100).get_page(request.GET.get("page"))
    returned = (
        Notice.objects.filter(
            channel=Channel.POST, state=NoticeState.RETURNED, breach_file__controller__in=organisations
        )
        .select_related("batch", "breach_file__controller")
        .order_by("-returned_at")[:20]
    )
    return render(
        request,
        "notifications/pages/mailroom.html",
        {
            "page": page,
            "state": state,
            "states": PrintBatch.State.choices,
            "posted_form": PostedForm(initial={"posted_on": timezone.localdate()}),
            "return_form": ReturnForm(),
            "returned": returned,
        },
    )


@login_required
@require_GET
def mailroom_batch_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    batch = _batch(user, pk)
    try:
        content = mailroom_services.read_batch_pdf(batch)
    except campaigns.CampaignRefused:
        raise Http404 from None
    audit(
        user,
        AuditEvent.Action.DOWNLOAD,
        NotificationAuditObject.PRINT_BATCH,
        object_id=batch.pk,
        organisation_id=batch.campaign.breach_file.controller_id,
        detail="pdf",
    )
    return private_response(HttpResponse(content, content_type="application/pdf"), filename=f"batch-{batch.label}.pdf")


@login_required
@require_GET
def mailroom_batch_manifest(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    batch = _batch(user, pk)
    audit(
        user,
        AuditEvent.Action.DOWNLOAD,
        NotificationAuditObject.PRINT_BATCH,
        object_id=batch.pk,
        organisation_id=batch.campaign.breach_file.controller_id,
        detail="manifest",
    )
    return private_response(
        HttpResponse(exports.manifest_csv(batch), content_type="text/csv; charset=utf-8"),
        filename=f"batch-{batch.label}-manifest.csv",
    )


@login_required
@require_POST
def mailroom_batch_printed(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    batch = _batch(user, pk)
    try:
        mailroom_services.mark_batch_printed(batch=batch, user=user)
        messages.success(request, _("Batch %(label)s marked printed.") % {"label": batch.label})
    except campaigns.CampaignRefused as error:
        messages.error(request, str(error))
    return redirect("notifications:mailroom")


@login_required
@require_http_methods(["GET", "POST"])
def mailroom_batch_posted(request: HttpRequest, pk: int) -> HttpResponse:
    """Show what marking a batch posted records; record it only on a POST with the confirmation ticked."""
    user = current_user(request)
    batch = _batch(user, pk)
    # The confirmation page's own form says so: a POST from anywhere else only shows what would be recorded.
    if request.method == "POST" and "confirming" in request.POST:
        form = PostedConfirmForm(request.POST)
        if form.is_valid():
            posted_on: date = form.cleaned_data["posted_on"]
            try:
                mailroom_services.mark_batch_posted(batch=batch, user=user, posted_on=posted_on)
                messages.success(request, _("Batch %(label)s marked posted.") % {"label": batch.label})
            except campaigns.CampaignRefused as error:
                messages.error(request, str(error))
            return redirect("notifications:mailroom")
    else:
        data = request.POST if request.method == "POST" else request.GET
        form = PostedConfirmForm(initial={"posted_on": PostedForm(data).cleaned_posted_on() or timezone.localdate()})
    return render(
        request,
        "notifications/pages/mailroom_posted.html",
        {"batch": batch, "form": form, "letters": exports.batch_letter_counts(batch)},
    )


@login_required
@require_POST
def mailroom_return(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    organisations = _mailroom_organisations(user)
    form = ReturnForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Scan or type the reference printed on the letter."))
        return redirect("notifications:mailroom")
    try:
        notice = mailroom_services.record_returned_letter(
            reference=form.cleaned_data["reference"], user=user, organisations=organisations
        )
    except campaigns.CampaignRefused as error:
        messages.error(request, str(error))
        return redirect("notifications:mailroom")
    messages.success(request, _("Letter %(reference)s recorded as returned.") % {"reference": notice.reference})
    return redirect("notifications:mailroom")
