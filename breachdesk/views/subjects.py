"""Pages of the data subjects: the list with its search and filters, a person's page, the contact correction."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from breachdesk import panels, subject_search
from breachdesk.access import current_user, editable_breach_file, visible_breach_file
from breachdesk.contacts import CONTACT_FIELDS, ContactCorrectionForm, correct_contact
from breachdesk.formats import reader_language
from breachdesk.models import AuditEvent, AuditObject, BreachFile, DataSubject
from breachdesk.pagination import KeyPaginator
from breachdesk.services import record_audit

PAGE_SIZE = 50


def _list_url(breach_file: BreachFile, filters: dict[str, str]) -> str:
    url = reverse("subject_list", args=[breach_file.incident.reference, breach_file.controller.code])
    return f"{url}?{urlencode(filters)}" if filters else url


@login_required
@require_http_methods(["GET", "POST"])
def subject_list(request: HttpRequest, reference: str, code: str) -> HttpResponse:
    user = current_user(request)
    breach_file = visible_breach_file(user, reference, code)
    if request.method == "POST":
        # The words searched are personal data: posted, kept encrypted in the session, never put in the URL.
        search = subject_search.SubjectSearchForm(request.POST)
        query = search.cleaned_data["query"] if search.is_valid() else ""
        subject_search.store_query(request, breach_file, "" if "clear" in request.POST else query)
        return redirect(_list_url(breach_file, subject_search.SubjectFilterForm(request.POST).chosen()))
    query = subject_search.stored_query(request, breach_file)
    filter_form = subject_search.SubjectFilterForm(request.GET)
    filters = filter_form.chosen()
    levels = subject_search.RiskLevels(breach_file)
    subjects = subject_search.find_subjects(breach_file=breach_file, query=query, filters=filters, levels=levels)
    page = KeyPaginator(subjects.order_by("pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = subject_search.page_rows(breach_file=breach_file, subjects=list(page.object_list), levels=levels)
    record_audit(
        user=user,
        action=AuditEvent.Action.VIEW,
        object_type=AuditObject.DATA_SUBJECT_LIST,
        object_id=breach_file.pk,
        organisation_id=breach_file.controller_id,
        # Filter codes and whether words were searched; never the words.
        detail=" ".join(
            [f"page {page.number}", *(f"{key}={value}" for key, value in sorted(filters.items()))]
            + (["search"] if query else [])
        ),
    )
    return render(
        request,
        "breachdesk/subject_list.html",
        {
            "breach_file": breach_file,
            "page": page,
            "rows": rows,
            "search_form": subject_search.SubjectSearchForm(initial={"query": query}),
            "filter_form": filter_form,
            "filters": filters,
            "query": query,
            "extra_columns": panels.subject_columns(),
            "is_filtered": bool(query or filters),
        },
    )


def _subject(request: HttpRequest, breach_file: BreachFile, pk: int) -> DataSubject:
    return get_object_or_404(DataSubject.objects.select_related("breach_file"), pk=pk, breach_file=breach_file)


@login_required
def subject_detail(request: HttpRequest, reference: str, code: str, pk: int) -> HttpResponse:
    user = current_user(request)
    breach_file = visible_breach_file(user, reference, code)
    subject = _subject(request, breach_file, pk)
    personal = subject.readable_personal
    record_audit(
        user=user,
        action=AuditEvent.Action.VIEW,
        object_type=AuditObject.DATA_SUBJECT,
        object_id=subject.pk,
        organisation_id=breach_file.controller_id,
    )
    return render(
        request,
        "breachdesk/subject_detail.html",
        {
            "breach_file": breach_file,
            "subject": subject,
            "personal": personal,
            "address_lines": personal.address_lines if personal else [],
            # The exposure codes are in the token: an unreadable person shows none (the page says so).
            "exposure_labels": subject.exposure_labels(reader_language()) if personal else [],
            "can_edit": user.can_edit_breach_files(),
            "subject_panels": panels.subject_panels(),
            "user": user,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def subject_contact(request: HttpRequest, reference: str, code: str, pk: int) -> HttpResponse:
    user = current_user(request)
    breach_file = editable_breach_file(user, reference, code, object_type=AuditObject.DATA_SUBJECT)
    subject = _subject(request, breach_file, pk)
    if not subject.is_readable:
        # The form starts from the stored values: nothing to correct until the data decrypts again.
        messages.error(request, _("This person's data cannot be decrypted: it cannot be corrected here."))
        return redirect("subject_detail", reference=reference, code=code, pk=subject.pk)
    form = ContactCorrectionForm(request.POST or None, subject=subject)
    if request.method == "POST" and form.is_valid():
        correction = correct_contact(
            subject=subject,
            user=user,
            values={name: form.cleaned_data[name] for name in CONTACT_FIELDS},
            address_block=form.address_block,
        )
        if correction.changed:
            messages.success(
                request, _("Contact details corrected. If a notice came back, you can now send it again below.")
            )
        else:
            messages.info(request, _("Nothing changed."))
        return redirect("subject_detail", reference=reference, code=code, pk=subject.pk)
    return render(
        request, "breachdesk/subject_contact.html", {"breach_file": breach_file, "subject": subject, "form": form}
    )
