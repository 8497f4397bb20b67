"""Pages of the CNIL filings: prepare, read, download, record the submission."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from breachdesk.access import audit, current_user, require_editor, visible_breach_file
from breachdesk.downloads import private_response
from breachdesk.forms import add_validation_errors
from breachdesk.models import AuditEvent, BreachFile, User
from notifications import cnil, storage
from notifications.forms.filings import PrepareFilingForm, PublicCommunicationForm, SubmissionForm
from notifications.models import Filing, NotificationAuditObject, PublicCommunication
from notifications.services import filings as filing_services
from notifications.services import information as information_services


def _gaps_with_links(breach_file: BreachFile, gaps: list[dict[str, object]]) -> list[dict[str, object]]:
    return [{**gap, "url": cnil.edit_url(breach_file, str(gap["edit"]))} for gap in gaps]


@login_required
@require_http_methods(["GET", "POST"])
def filings(request: HttpRequest, reference: str, code: str) -> HttpResponse:
    user = current_user(request)
    breach_file = visible_breach_file(user, reference, code)
    kind = filing_services.next_filing_kind(breach_file)
    completeness = filing_services.check_completeness(breach_file=breach_file, kind=kind)
    can_edit = user.can_edit_breach_files()
    form = PrepareFilingForm(request.POST or None, initial={"kind": kind}, is_complete=completeness.is_complete)
    status = 200
    if request.method == "POST":
        if not can_edit:
            audit(user, AuditEvent.Action.DENIED, NotificationAuditObject.FILING, breach_file)
            raise Http404
        if form.is_valid():
            try:
                filing = filing_services.prepare_filing(
                    breach_file=breach_file, kind=form.cleaned_data["kind"], user=user
                )
            except ValidationError as error:
                add_validation_errors(form, error)
            else:
                messages.success(request, _("Filing prepared: the PDF dossier is being generated."))
                return redirect("notifications:filing", reference=reference, code=code, version=filing.version)
        status = 400
    audit(user, AuditEvent.Action.VIEW, NotificationAuditObject.FILINGS, breach_file)
    return render(
        request,
        "notifications/pages/filings.html",
        {
            "breach_file": breach_file,
            "filings": Filing.objects.filter(breach_file=breach_file)
            .order_by("-version")
            .select_related("prepared_by"),
            "kind": kind,
            "completeness": completeness,
            "missing": _gaps_with_links(breach_file, [gap.as_json() for gap in completeness.missing]),
            "unknown": _gaps_with_links(breach_file, [gap.as_json() for gap in completeness.unknown]),
            "form": form,
            "can_edit": can_edit,
            "now": timezone.now(),
        },
        status=status,
    )


def _visible_filing(user: User, reference: str, code: str, version: int) -> Filing:
    breach_file = visible_breach_file(user, reference, code)
    filing = get_object_or_404(
        Filing.objects.select_related("breach_file__incident", "breach_file__controller", "previous", "prepared_by"),
        breach_file=breach_file,
        version=version,
    )
    return filing


@login_required
@require_http_methods(["GET", "POST"])
def filing_detail(request: HttpRequest, reference: str, code: str, version: int) -> HttpResponse:
    user = current_user(request)
    filing = _visible_filing(user, reference, code, version)
    breach_file = filing.breach_file
    can_edit = user.can_edit_breach_files()
    needs_reasons = filing.kind == Filing.Kind.INITIAL and not breach_file.delay_reasons.strip()
    form = SubmissionForm(
        request.POST or None,
        initial={"submitted_at": timezone.localtime().replace(second=0, microsecond=0, tzinfo=None)},
    )
    status = 200
    if request.method == "POST":
        if not can_edit:
            audit(user, AuditEvent.Action.DENIED, NotificationAuditObject.FILING, breach_file)
            raise Http404
        if form.is_valid():
            try:
                filing_services.record_submission(
                    filing=filing,
                    user=user,
                    submitted_at=form.cleaned_data["submitted_at"],
                    case_number=form.cleaned_data["case_number"],
                    delay_reasons=form.cleaned_data["delay_reasons"] or None,
                )
            except ValidationError as error:
                if getattr(error, "code", "") == "delay_reasons_required":
                    form.add_error("delay_reasons", error.messages)
                else:
                    add_validation_errors(form, error)
            else:
                messages.success(request, _("Submission recorded."))
                return redirect("notifications:filing", reference=reference, code=code, version=version)
        status = 400
    context = filing_services.dossier_context(filing)
    audit(user, AuditEvent.Action.VIEW, NotificationAuditObject.FILING, breach_file, object_id=filing.pk)
    laid_out = cast("list[cnil.RenderedSection]", context["sections"]) + cast(
        "list[cnil.RenderedSection]", context["annexes"]
    )
    fields = [field for section in laid_out if section.is_shown for field in section.fields]
    return render(
        request,
        "notifications/pages/filing.html",
        {
            **context,
            # A complementary filing's copy page may list only the fields that changed since the previous filing.
            "only_changed": filing.kind == Filing.Kind.COMPLEMENTARY and request.GET.get("only") == "changed",
            "field_count": len(fields),
            "changed_count": sum(field.is_changed for field in fields),
            "missing": _gaps_with_links(breach_file, filing.missing),
            "unknown": _gaps_with_links(breach_file, filing.unknown),
            "form": form,
            "can_edit": can_edit,
            "needs_reasons": needs_reasons,
            "deadline": breach_file.authority_deadline,
        },
        status=status,
    )


@login_required
def filing_pdf(request: HttpRequest, reference: str, code: str, version: int) -> FileResponse:
    user = current_user(request)
    filing = _visible_filing(user, reference, code, version)
    if filing.state != Filing.State.READY or not storage.exists(filing.pdf_path):
        raise Http404
    audit(user, AuditEvent.Action.DOWNLOAD, NotificationAuditObject.FILING_PDF, filing.breach_file, object_id=filing.pk)
    return private_response(
        FileResponse(storage.open_decrypted(filing.pdf_path), content_type="application/pdf"),
        filename=f"notification-cnil-{reference}-{code}-v{version}.pdf",
        inline=request.GET.get("download") != "1",
    )


@login_required
def filing_json(request: HttpRequest, reference: str, code: str, version: int) -> JsonResponse:
    user = current_user(request)
    filing = _visible_filing(user, reference, code, version)
    audit(user, AuditEvent.Action.EXPORT, NotificationAuditObject.FILING_JSON, filing.breach_file, object_id=filing.pk)
    data = cnil.export(
        cnil.TEMPLATES[filing.template],
        filing.snapshot,
        {
            "breach_file": {"incident": reference, "organisation": code},
            "filing": {
                "type": filing.kind,
                "version": filing.version,
                "initial_case_number": filing.initial_case_number or None,
                "prepared_at": filing.prepared_at.isoformat(),
                "is_complete": filing.is_complete,
                "is_late": filing.is_late,
                "submitted_at": filing.submitted_at.isoformat() if filing.submitted_at else None,
                "cnil_case_number": filing.cnil_case_number or None,
            },
            "missing": filing.missing,
            "not_known_yet": filing.unknown,
            "changes": filing.changes,
        },
    )
    return private_response(
        JsonResponse(data, json_dumps_params={"ensure_ascii": False, "indent": 2}),
        filename=f"notification-cnil-{reference}-{code}-v{version}.json",
    )


@login_required
@require_POST
def filing_regenerate(request: HttpRequest, reference: str, code: str, version: int) -> HttpResponse:
    user = current_user(request)
    filing = _visible_filing(user, reference, code, version)
    require_editor(user, NotificationAuditObject.FILING, filing.breach_file)
    filing_services.regenerate_filing_dossier(filing=filing, user=user)
    return redirect("notifications:filing", reference=reference, code=code, version=version)


@login_required
@require_http_methods(["GET", "POST"])
def filing_public_communication(request: HttpRequest, reference: str, code: str) -> HttpResponse:
    user = current_user(request)
    breach_file = visible_breach_file(user, reference, code)
    can_edit = user.can_edit_breach_files()
    form = PublicCommunicationForm(request.POST or None)
    status = 200
    if request.method == "POST":
        require_editor(user, NotificationAuditObject.PUBLIC_COMMUNICATION, breach_file)
        if form.is_valid():
            try:
                information_services.record_public_communication(
                    breach_file=breach_file, user=user, **form.cleaned_data
                )
            except ValidationError as error:
                add_validation_errors(form, error)
            else:
                messages.success(request, _("Public communication recorded."))
                return redirect("notifications:filing_public_communication", reference=reference, code=code)
        status = 400
    audit(user, AuditEvent.Action.VIEW, NotificationAuditObject.PUBLIC_COMMUNICATION, breach_file)
    return render(
        request,
        "notifications/pages/filing_public_communication.html",
        {
            "breach_file": breach_file,
            "communications": PublicCommunication.objects.filter(breach_file=breach_file).select_related("recorded_by"),
            "form": form,
            "can_edit": can_edit,
        },
        status=status,
    )
