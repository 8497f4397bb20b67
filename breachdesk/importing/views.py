"""Pages of the data subject import: adapters that check access, call a service and render."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from breachdesk import services, tasks
from breachdesk.access import current_user, require_editor, visible_breach_file
from breachdesk.csvfiles import spreadsheet_text
from breachdesk.downloads import private_response
from breachdesk.importing.forms import SubjectFileForm
from breachdesk.importing.report import has_report, report_csv, report_entries
from breachdesk.importing.selectors import describe_format, live_counts, same_people_elsewhere
from breachdesk.importing.services import stage_subject_import
from breachdesk.importing.upload import upload_refused
from breachdesk.importing.validation import COLUMN_NAMES, COLUMNS
from breachdesk.models import AuditEvent, AuditObject, BreachFile, SubjectImport
from breachdesk.signin.sessions import passive
from breachdesk.taxonomy import EXPOSURES

REPORT_PREVIEW_ROWS = 200


def _subject_import(breach_file: BreachFile, pk: int) -> SubjectImport:
    return get_object_or_404(SubjectImport, pk=pk, breach_file=breach_file)


@login_required
@require_http_methods(["GET", "POST"])
def import_page(request: HttpRequest, reference: str, code: str) -> HttpResponse:
    user = current_user(request)
    breach_file = visible_breach_file(user, reference, code)
    can_import = user.can_edit_breach_files()
    if request.method == "POST":
        require_editor(user, AuditObject.SUBJECT_IMPORT, breach_file)
    # Bound on every POST: a file stopped as it arrived leaves the POST empty, and the form says why.
    posted = request.method == "POST"
    form = (
        SubjectFileForm(
            request.POST if posted else None, request.FILES if posted else None, upload_refused=upload_refused(request)
        )
        if can_import
        else None
    )
    if request.method == "POST" and form is not None and form.is_valid():
        upload = form.cleaned_data["file"]
        subject_import = stage_subject_import(
            breach_file=breach_file,
            upload=upload,
            user=user,
            original_name=upload.name or "",
            dry_run=form.cleaned_data["dry_run"],
        )
        if subject_import.state == SubjectImport.State.PENDING:
            # celery-types does not know Django's task class, which adds delay_on_commit.
            tasks.run_subject_import.delay_on_commit(subject_import.pk)  # type: ignore[attr-defined]
        return redirect("subject_import_detail", reference=reference, code=code, pk=subject_import.pk)
    return render(
        request,
        "breachdesk/import_page.html",
        {
            "breach_file": breach_file,
            "form": form,
            "can_import": can_import,
            "imports": breach_file.imports.select_related("uploaded_by")[:50],
            "columns": COLUMNS,
            "exposures": EXPOSURES.values(),
            # Finding 1: only matches with files the user may also see (the group's compliance officer).
            "same_people_elsewhere": same_people_elsewhere(user, breach_file),
        },
    )


@login_required
@require_GET
def import_detail(request: HttpRequest, reference: str, code: str, pk: int) -> HttpResponse:
    user = current_user(request)
    breach_file = visible_breach_file(user, reference, code)
    subject_import = _subject_import(breach_file, pk)
    entries = report_entries(subject_import)
    return render(
        request,
        "breachdesk/import_detail.html",
        {
            "breach_file": breach_file,
            "subject_import": subject_import,
            "counts": live_counts(subject_import),
            "read_as": describe_format(subject_import),
            "report_preview": entries[:REPORT_PREVIEW_ROWS],
            "report_size": len(entries),
            "can_import": user.can_edit_breach_files(),
        },
    )


# Polled by the page's script every second: not activity, the session's idle timeout runs on.
@passive
@login_required
@require_GET
def import_progress(request: HttpRequest, reference: str, code: str, pk: int) -> JsonResponse:
    user = current_user(request)
    breach_file = visible_breach_file(user, reference, code)
    subject_import = _subject_import(breach_file, pk)
    return private_response(JsonResponse(live_counts(subject_import)))


@login_required
@require_GET
def import_report(request: HttpRequest, reference: str, code: str, pk: int) -> HttpResponse:
    user = current_user(request)
    breach_file = visible_breach_file(user, reference, code)
    subject_import = _subject_import(breach_file, pk)
    if not has_report(subject_import):
        raise Http404
    services.record_audit(
        user=user,
        action=AuditEvent.Action.DOWNLOAD,
        object_type=AuditObject.SUBJECT_IMPORT_REPORT,
        object_id=subject_import.pk,
        organisation_id=breach_file.controller_id,
    )
    return private_response(
        HttpResponse(report_csv(subject_import), content_type="text/csv; charset=utf-8"),
        filename=f"import-{subject_import.pk}-report.csv",
    )


@login_required
@require_GET
def import_template(request: HttpRequest, reference: str, code: str) -> HttpResponse:
    user = current_user(request)
    visible_breach_file(user, reference, code)
    return private_response(
        HttpResponse(spreadsheet_text(list(COLUMN_NAMES), []).encode("utf-8"), content_type="text/csv; charset=utf-8"),
        filename="data-subjects-template.csv",
    )
