"""Pages of the Art. 34 campaign (the DPO's) and of the mailroom: adapters that check access and call one service."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from breachdesk.models import AuditEvent, BreachFile, Organisation, User
from breachdesk.services import record_audit
from breachdesk.views import _user, visible_breach_file
from notifications import campaigns
from notifications.campaign_models import Campaign, Channel, Notice, NoticeState, PrintBatch
from notifications.csvsafe import safe_cell


def _audit(
    user: User, action: str, object_type: str, object_id: object, organisation_id: int | None, detail: str = ""
) -> None:
    record_audit(
        user=user,
        action=action,
        object_type=object_type,
        object_id=object_id,
        organisation_id=organisation_id,
        detail=detail,
    )


def _editable(user: User, reference: str, code: str) -> BreachFile:
    """The breach file when the user may act on it (its lab's DPO, an admin); 404 otherwise."""
    breach_file = visible_breach_file(user, reference, code)
    if not user.can_edit_breach_files():
        _audit(user, AuditEvent.Action.DENIED, "campaign", breach_file.pk, breach_file.controller_id, "change refused")
        raise Http404
    return breach_file


def _back(breach_file: BreachFile) -> HttpResponse:
    return redirect(
        "notifications:campaign", reference=breach_file.incident.reference, code=breach_file.controller.code
    )


class NoticeTextForm(forms.Form):
    language = forms.ChoiceField(choices=[("fr", "Français"), ("en", "English")])
    what_happened = forms.CharField(label=gettext_lazy("What happened"), widget=forms.Textarea, max_length=4000)
    consequences = forms.CharField(label=gettext_lazy("Likely consequences"), widget=forms.Textarea, max_length=4000)
    measures = forms.CharField(label=gettext_lazy("What we did"), widget=forms.Textarea, max_length=4000)
    advice = forms.CharField(
        label=gettext_lazy("What you can do (one piece of advice per line)"), widget=forms.Textarea, max_length=4000
    )


class LaunchForm(forms.Form):
    channels = forms.MultipleChoiceField(
        choices=Channel.choices, widget=forms.CheckboxSelectMultiple, initial=[Channel.POST, Channel.EMAIL]
    )


class PostedForm(forms.Form):
    posted_on = forms.DateField(label=gettext_lazy("Posted on"), widget=forms.DateInput(attrs={"type": "date"}))


class ReturnForm(forms.Form):
    reference = forms.CharField(
        label=gettext_lazy("Letter reference (scan the barcode or type it)"),
        max_length=40,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off"}),
    )


def campaign_context(breach_file: BreachFile, user: User) -> dict[str, Any]:
    """What the campaign panel and page show: progress, or what launching needs."""
    campaign = Campaign.objects.filter(breach_file=breach_file).first()
    return {
        "campaign": campaign,
        "progress": campaigns.campaign_progress(campaign) if campaign else None,
        "has_decision": campaigns.inform_decision(breach_file) is not None,
        "can_edit": user.can_edit_breach_files(),
    }


@login_required
@require_GET
def campaign(request: HttpRequest, reference: str, code: str) -> HttpResponse:
    user = _user(request)
    breach_file = visible_breach_file(user, reference, code)
    context = campaign_context(breach_file, user)
    texts = campaigns.notice_texts(breach_file)
    text_forms = {
        language: NoticeTextForm(initial={"language": language, **texts[language]}, prefix=language)
        for language in ("fr", "en")
    }
    current: Campaign | None = context["campaign"]
    unreachable = unknown = None
    if current is not None:
        unreachable = Paginator(current.unreachable.select_related("subject").order_by("pk"), 50).get_page(
            request.GET.get("unreachable")
        )
        unknown = current.notices.filter(state=NoticeState.UNKNOWN).order_by("pk")[:200]
    _audit(user, AuditEvent.Action.VIEW, "campaign", breach_file.pk, breach_file.controller_id)
    return render(
        request,
        "notifications/pages/campaign.html",
        {
            **context,
            "breach_file": breach_file,
            "text_forms": text_forms,
            "launch_form": LaunchForm(),
            "unreachable": unreachable,
            "unknown": unknown,
            "batches": current.batches.order_by("number") if current else [],
        },
    )


@login_required
@require_POST
def campaign_text(request: HttpRequest, reference: str, code: str) -> HttpResponse:
    user = _user(request)
    breach_file = _editable(user, reference, code)
    language = request.POST.get("language", "")
    form = NoticeTextForm(request.POST, prefix=language if language in ("fr", "en") else None)
    if not form.is_valid():
        messages.error(request, _("Every section of the text needs some words (4,000 characters at most)."))
        return _back(breach_file)
    data = form.cleaned_data
    try:
        campaigns.save_notice_text(
            breach_file=breach_file,
            language=data["language"],
            values={section: data[section] for section in campaigns.SECTIONS},
            user=user,
        )
    except (campaigns.CampaignRefused, ValidationError) as error:
        messages.error(request, str(error.message if isinstance(error, ValidationError) else error))
        return _back(breach_file)
    messages.success(request, _("Text saved: preview the letter before launching."))
    return _back(breach_file)


@login_required
@require_GET
def campaign_preview(request: HttpRequest, reference: str, code: str) -> HttpResponse:
    user = _user(request)
    breach_file = visible_breach_file(user, reference, code)
    language = request.GET.get("language", "fr")
    if language not in ("fr", "en"):
        raise Http404
    from breachdesk.assessment import default_exposures
    from notifications import letters

    exposures = default_exposures(breach_file) or ["identity", "contact"]
    content = letters.render_preview(
        breach_file=breach_file,
        language=language,
        exposures=exposures,
        texts=campaigns.notice_texts(breach_file)[language],
    )
    _audit(user, AuditEvent.Action.VIEW, "letter_preview", breach_file.pk, breach_file.controller_id, language)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="preview-{breach_file.controller.code}-{language}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def campaign_launch(request: HttpRequest, reference: str, code: str) -> HttpResponse:
    user = _user(request)
    breach_file = _editable(user, reference, code)
    form = LaunchForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose at least one channel."))
        return _back(breach_file)
    try:
        result = campaigns.launch_campaign(breach_file=breach_file, user=user, channels=form.cleaned_data["channels"])
    except campaigns.CampaignRefused as error:
        messages.error(request, str(error))
        return _back(breach_file)
    (messages.info if result.created_nothing else messages.success)(request, result.summary())
    return _back(breach_file)


@login_required
@require_GET
def campaign_progress(request: HttpRequest, reference: str, code: str) -> JsonResponse:
    user = _user(request)
    breach_file = visible_breach_file(user, reference, code)
    current = Campaign.objects.filter(breach_file=breach_file).first()
    if current is None:
        return JsonResponse({"launched": False})
    response = JsonResponse({"launched": True, **campaigns.campaign_progress(current)})
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def campaign_ledger(request: HttpRequest, reference: str, code: str) -> StreamingHttpResponse:
    user = _user(request)
    breach_file = visible_breach_file(user, reference, code)
    _audit(user, AuditEvent.Action.EXPORT, "notice_ledger", breach_file.pk, breach_file.controller_id)

    def rows() -> Any:
        yield ";".join(campaigns.LEDGER_HEADER) + "\r\n"
        for row in campaigns.ledger_rows(breach_file):
            yield ";".join(_csv_field(cell) for cell in row) + "\r\n"

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="ledger-{breach_file.incident.reference}-{breach_file.controller.code}.csv"'
    )
    response["Cache-Control"] = "private, no-store"
    return response


def _csv_field(value: object) -> str:
    text = safe_cell(value)
    if any(char in text for char in ';"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


@login_required
@require_POST
def campaign_unknown(request: HttpRequest, reference: str, code: str) -> HttpResponse:
    user = _user(request)
    breach_file = _editable(user, reference, code)
    ids = [int(value) for value in request.POST.getlist("notice") if value.isdigit()]
    decision = request.POST.get("decision")
    if not ids or decision not in ("resend", "accept"):
        messages.error(request, _("Choose the emails and what to do with them."))
        return _back(breach_file)
    moved = campaigns.resolve_unknown(breach_file=breach_file, notice_ids=ids, resend=decision == "resend", user=user)
    messages.success(request, _("%(count)s emails updated.") % {"count": len(moved)})
    return _back(breach_file)


# --- The mailroom --------------------------------------------------------------------------------------------------


def _mailroom_organisations(user: User) -> models.QuerySet[Organisation]:
    organisations = user.mailroom_organisations()
    if not organisations.exists():
        _audit(user, AuditEvent.Action.DENIED, "mailroom", "", None)
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
        _audit(user, AuditEvent.Action.DENIED, "print_batch", pk, None)
        raise Http404
    return batch


@login_required
@require_GET
def mailroom(request: HttpRequest) -> HttpResponse:
    user = _user(request)
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
    user = _user(request)
    batch = _batch(user, pk)
    try:
        content = campaigns.read_batch_pdf(batch)
    except campaigns.CampaignRefused:
        raise Http404 from None
    _audit(user, AuditEvent.Action.DOWNLOAD, "print_batch", batch.pk, batch.campaign.breach_file.controller_id, "pdf")
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="batch-{batch.label}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def mailroom_batch_manifest(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    batch = _batch(user, pk)
    _audit(
        user, AuditEvent.Action.DOWNLOAD, "print_batch", batch.pk, batch.campaign.breach_file.controller_id, "manifest"
    )
    response = HttpResponse(campaigns.manifest_csv(batch), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="batch-{batch.label}-manifest.csv"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def mailroom_batch_printed(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    batch = _batch(user, pk)
    try:
        campaigns.mark_batch_printed(batch=batch, user=user)
        messages.success(request, _("Batch %(label)s marked printed.") % {"label": batch.label})
    except campaigns.CampaignRefused as error:
        messages.error(request, str(error))
    return redirect("notifications:mailroom")


@login_required
@require_POST
def mailroom_batch_posted(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    batch = _batch(user, pk)
    form = PostedForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the date the batch was handed to the post."))
        return redirect("notifications:mailroom")
    posted_on: date = form.cleaned_data["posted_on"]
    try:
        campaigns.mark_batch_posted(batch=batch, user=user, posted_on=posted_on)
        messages.success(request, _("Batch %(label)s marked posted.") % {"label": batch.label})
    except campaigns.CampaignRefused as error:
        messages.error(request, str(error))
    return redirect("notifications:mailroom")


@login_required
@require_POST
def mailroom_return(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    organisations = _mailroom_organisations(user)
    form = ReturnForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Scan or type the reference printed on the letter."))
        return redirect("notifications:mailroom")
    try:
        notice = campaigns.record_returned_letter(
            reference=form.cleaned_data["reference"], user=user, organisations=organisations
        )
    except campaigns.CampaignRefused as error:
        messages.error(request, str(error))
        return redirect("notifications:mailroom")
    messages.success(request, _("Letter %(reference)s recorded as returned.") % {"reference": notice.reference})
    return redirect("notifications:mailroom")
