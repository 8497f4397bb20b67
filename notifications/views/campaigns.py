"""Pages of an Art. 34 campaign: texts, preview, launch, progress, ledger, unknown fates."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from breachdesk.access import (
    audit,
    current_user,
    editable_breach_file,
    visible_breach_file,
)
from breachdesk.csvfiles import spreadsheet_lines
from breachdesk.downloads import private_response
from breachdesk.formats import reader_language
from breachdesk.models import AuditEvent, BreachFile, User
from breachdesk.pagination import KeyPaginator
from breachdesk.signin.sessions import passive
from notifications.forms.campaigns import (
    LaunchConfirmForm,
    LaunchForm,
    LetterChoicesForm,
    NoticeTextForm,
    UnknownDecisionForm,
)
from notifications.models import Campaign, Channel, Notice, NoticeState, NotificationAuditObject
from notifications.selectors import exports, launch, progress
from notifications.selectors.progress import campaign_context
from notifications.services import campaigns, ledger, notice_texts


def _back(breach_file: BreachFile) -> HttpResponse:
    return redirect(
        "notifications:campaign", reference=breach_file.incident.reference, code=breach_file.controller.code
    )


@login_required
@require_GET
def campaign(request: HttpRequest, reference: str, code: str) -> HttpResponse:
    user = current_user(request)
    breach_file = visible_breach_file(user, reference, code)
    context = campaign_context(breach_file, user)
    texts = notice_texts.notice_texts(breach_file)
    text_forms = {
        language: NoticeTextForm(initial={"language": language, **texts[language]}, prefix=language)
        for language in ("fr", "en")
    }
    current: Campaign | None = context["campaign"]
    unreachable = unknown = unreadable = None
    if current is not None:
        # Each list names campaign_id in only(): the related manager sets every row's campaign from it, and a
        # deferred campaign_id would cost one query per row.
        # Named by patient reference and name: only the rows of the page shown are decrypted.
        unreachable = KeyPaginator(
            current.unreachable.select_related("subject")
            .only("pk", "campaign_id", "reason", "recorded_at", "subject_id", "subject__personal_token")
            .order_by("pk"),
            50,
        ).get_page(request.GET.get("unreachable"))
        # By channel too: the work queue's index then hands the rows over in id order (only emails are unknown).
        unknown = KeyPaginator(
            current.notices.filter(channel=Channel.EMAIL, state=NoticeState.UNKNOWN)
            .only("pk", "campaign_id", "reference", "attempts", "last_error", "state_changed_at")
            .order_by("pk"),
            50,
        ).get_page(request.GET.get("unknown"))
        # Listed by notice reference and subject id: their personal data is exactly what cannot be read.
        unreadable = KeyPaginator(
            current.notices.filter(state=NoticeState.UNREADABLE)
            .only("pk", "campaign_id", "reference", "channel", "subject_id", "state_changed_at")
            .order_by("pk"),
            50,
        ).get_page(request.GET.get("unreadable"))
    audit(
        user,
        AuditEvent.Action.VIEW,
        NotificationAuditObject.CAMPAIGN,
        object_id=breach_file.pk,
        organisation_id=breach_file.controller_id,
    )
    return render(
        request,
        "notifications/pages/campaign.html",
        {
            **context,
            "breach_file": breach_file,
            "text_forms": text_forms,
            "launch_form": LaunchForm(),
            "choices_form": LetterChoicesForm(
                initial={
                    "adolescent_addressee": breach_file.adolescent_addressee,
                    "adolescent_addressee_reason": breach_file.adolescent_addressee_reason,
                    "sensitive_detail": breach_file.sensitive_detail,
                }
            ),
            "unreachable": unreachable,
            "unknown": unknown,
            "unreadable": unreadable,
            # A campaign of 491,840 persons has about a thousand batches: 50 a page, as the other lists.
            "batches": KeyPaginator(current.batches.order_by("number"), 50).get_page(request.GET.get("batches"))
            if current
            else None,
        },
    )


@login_required
@require_POST
def campaign_text(request: HttpRequest, reference: str, code: str) -> HttpResponse:
    user = current_user(request)
    breach_file = editable_breach_file(user, reference, code, object_type=NotificationAuditObject.CAMPAIGN)
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
            values={section: data[section] for section in notice_texts.SECTIONS},
            user=user,
        )
    except (campaigns.CampaignRefused, ValidationError) as error:
        messages.error(request, str(error.message if isinstance(error, ValidationError) else error))
        return _back(breach_file)
    messages.success(request, _("Text saved: preview the letter before launching."))
    return _back(breach_file)


@login_required
@require_POST
def campaign_letter_choices(request: HttpRequest, reference: str, code: str) -> HttpResponse:
    user = current_user(request)
    breach_file = editable_breach_file(user, reference, code, object_type=NotificationAuditObject.CAMPAIGN)
    form = LetterChoicesForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose where the specific health items go."))
        return _back(breach_file)
    data = form.cleaned_data
    try:
        campaigns.record_letter_choices(
            breach_file=breach_file,
            adolescent_addressee=data["adolescent_addressee"],
            reason=data["adolescent_addressee_reason"],
            sensitive_detail=data["sensitive_detail"],
            user=user,
        )
    except (campaigns.CampaignRefused, ValidationError) as error:
        text = "; ".join(error.messages) if isinstance(error, ValidationError) else str(error)
        messages.error(request, text)
        return _back(breach_file)
    messages.success(request, _("Saved: who receives the letters and what they name."))
    return _back(breach_file)


@login_required
@require_GET
def campaign_preview(request: HttpRequest, reference: str, code: str) -> HttpResponse:
    user = current_user(request)
    breach_file = visible_breach_file(user, reference, code)
    language = request.GET.get("language", "fr")
    if language not in ("fr", "en"):
        raise Http404
    from breachdesk.assessment import default_exposures
    from notifications import letters

    exposures = default_exposures(breach_file) or ["identity", "contact"]
    audience = request.GET.get("audience", letters.Audience.SUBJECT)
    if audience not in (letters.Audience.SUBJECT, letters.Audience.REPRESENTATIVES, letters.Audience.CONFIDENTIAL):
        raise Http404
    content = letters.render_preview(
        breach_file=breach_file,
        language=language,
        exposures=exposures,
        texts=notice_texts.notice_texts(breach_file)[language],
        audience=audience,
    )
    audit(
        user,
        AuditEvent.Action.VIEW,
        NotificationAuditObject.LETTER_PREVIEW,
        object_id=breach_file.pk,
        organisation_id=breach_file.controller_id,
        detail=language,
    )
    return private_response(
        HttpResponse(content, content_type="application/pdf"),
        filename=f"preview-{breach_file.controller.code}-{language}.pdf",
        inline=True,
    )


@login_required
@require_http_methods(["GET", "POST"])
def campaign_launch(request: HttpRequest, reference: str, code: str) -> HttpResponse:
    """Show what a launch adds, in numbers; launch only on a POST that carries the typed number of persons."""
    user = current_user(request)
    breach_file = editable_breach_file(user, reference, code, object_type=NotificationAuditObject.CAMPAIGN)
    data = request.POST if request.method == "POST" else request.GET
    channels_form = LaunchForm(data)
    if not channels_form.is_valid():
        messages.error(request, _("Choose at least one channel."))
        return _back(breach_file)
    channels = channels_form.cleaned_data["channels"]
    preview = launch.launch_preview(breach_file=breach_file, channels=channels)
    confirming = request.method == "POST" and "persons" in request.POST
    form = LaunchConfirmForm(
        request.POST if confirming else None, expected=preview.persons, initial={"channels": channels}
    )
    if confirming and form.is_valid() and preview.can_launch:
        if preview.is_relaunch and not (preview.letters_total or preview.emails_total):
            done = _("Already launched: nothing new to add. The ledger is checked again in the background.")
        else:
            done = _(
                "Launch queued: %(letters)s letters and %(emails)s emails to add to the ledger, in the background; "
                "this page shows how far it is."
            ) % {"letters": preview.letters_total, "emails": preview.emails_total}
        return _queue_launch(request, breach_file, user, channels, done=done)
    return render(
        request,
        "notifications/pages/campaign_launch.html",
        {"breach_file": breach_file, "preview": preview, "form": form},
    )


def _queue_launch(
    request: HttpRequest, breach_file: BreachFile, user: User, channels: list[str], *, done: str
) -> HttpResponse:
    """Refuse now what the launch would refuse, else queue it: the campaign page follows the filling of the ledger."""
    try:
        campaigns.queue_launch(breach_file=breach_file, user=user, channels=channels)
    except campaigns.CampaignRefused as error:
        if error.link:
            messages.error(request, format_html('{} <a href="{}">{}</a>', str(error), error.link, _("Go there")))
        else:
            messages.error(request, str(error))
        return _back(breach_file)
    messages.success(request, done)
    return _back(breach_file)


@login_required
@require_POST
def campaign_launch_retry(request: HttpRequest, reference: str, code: str) -> HttpResponse:
    """Run a launch whose filling stopped again, on its channels: only what is missing is added."""
    user = current_user(request)
    breach_file = editable_breach_file(user, reference, code, object_type=NotificationAuditObject.CAMPAIGN)
    current = Campaign.objects.filter(breach_file=breach_file).first()
    if current is None:
        raise Http404
    done = _("Launch queued again: only what is missing is added to the ledger.")
    return _queue_launch(request, breach_file, user, list(current.channels), done=done)


# Polled by the page's script every second: not activity, the session's idle timeout runs on.
@passive
@login_required
@require_GET
def campaign_progress(request: HttpRequest, reference: str, code: str) -> JsonResponse:
    user = current_user(request)
    breach_file = visible_breach_file(user, reference, code)
    current = Campaign.objects.filter(breach_file=breach_file).first()
    if current is None:
        return JsonResponse({"launched": False})
    return private_response(JsonResponse({"launched": True, **progress.campaign_progress(current)}))


@login_required
@require_GET
def campaign_ledger(request: HttpRequest, reference: str, code: str) -> StreamingHttpResponse:
    user = current_user(request)
    breach_file = visible_breach_file(user, reference, code)
    audit(
        user,
        AuditEvent.Action.EXPORT,
        NotificationAuditObject.NOTICE_LEDGER,
        object_id=breach_file.pk,
        organisation_id=breach_file.controller_id,
    )

    return private_response(
        StreamingHttpResponse(
            spreadsheet_lines(
                exports.ledger_header(language=reader_language()),
                exports.ledger_rows(breach_file, language=reader_language()),
            ),
            content_type="text/csv; charset=utf-8",
        ),
        filename=f"ledger-{breach_file.incident.reference}-{breach_file.controller.code}.csv",
    )


@login_required
@require_POST
def campaign_unknown(request: HttpRequest, reference: str, code: str) -> HttpResponse:
    user = current_user(request)
    breach_file = editable_breach_file(user, reference, code, object_type=NotificationAuditObject.CAMPAIGN)
    expected = Notice.objects.filter(breach_file=breach_file, channel=Channel.EMAIL, state=NoticeState.UNKNOWN).count()
    form = UnknownDecisionForm(request.POST, expected=expected)
    if not form.is_valid():
        for error in form.non_field_errors() or [_("Choose the emails and what to do with them.")]:
            messages.error(request, str(error))
        return _back_to_unknown(breach_file, request.POST.get("page", ""))
    moved = ledger.resolve_unknown(
        breach_file=breach_file,
        notice_ids=form.notice_ids(),
        resend=form.cleaned_data["decision"] == "resend",
        user=user,
    )
    messages.success(request, _("%(count)s emails updated.") % {"count": len(moved)})
    return _back_to_unknown(breach_file, request.POST.get("page", ""))


def _back_to_unknown(breach_file: BreachFile, page: str) -> HttpResponse:
    """Back to the list of unknown emails, on the page the decision was taken from."""
    query = f"?unknown={page}" if page.isdigit() else ""
    url = reverse("notifications:campaign", args=[breach_file.incident.reference, breach_file.controller.code])
    return redirect(f"{url}{query}#unknown")


@login_required
@require_POST
def notice_send_again(request: HttpRequest, reference: str, code: str, pk: int) -> HttpResponse:
    user = current_user(request)
    breach_file = editable_breach_file(user, reference, code, object_type=NotificationAuditObject.NOTICE)
    try:
        resent = ledger.send_again(breach_file=breach_file, notice_id=pk, user=user)
    except ledger.ResendRefused as error:
        messages.error(request, str(error))
        subject_id = Notice.objects.filter(breach_file=breach_file, pk=pk).values_list("subject_id", flat=True).first()
        if subject_id is None:
            raise Http404 from None
        return redirect("subject_detail", reference=reference, code=code, pk=subject_id)
    messages.success(request, _("Queued again as %(reference)s.") % {"reference": resent.reference})
    return redirect("subject_detail", reference=reference, code=code, pk=resent.subject_id)
