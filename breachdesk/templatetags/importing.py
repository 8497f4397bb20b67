"""Template tags of the data subject import panel."""

from __future__ import annotations

from dataclasses import dataclass

from django import template

from breachdesk.models import BreachFile, DataSubject, SubjectImport

register = template.Library()


@dataclass(frozen=True)
class ImportPanel:
    """What the breach file holds, from which imports, and the last attempt when it is not the last success."""

    stored: int
    addresses_to_review: int
    imports_stored: int
    last_imported: SubjectImport | None
    last_attempt: SubjectImport | None


@register.simple_tag
def latest_subject_import(breach_file: BreachFile) -> SubjectImport | None:
    """Return the breach file's most recent import, or None."""
    return SubjectImport.objects.filter(breach_file=breach_file).order_by("-created_at", "-pk").first()


@register.simple_tag
def subject_import_panel(breach_file: BreachFile) -> ImportPanel:
    """What is stored first (persons, from which import, when), then the last attempt if it is another one."""
    subjects = DataSubject.objects.filter(breach_file=breach_file)
    imported = SubjectImport.objects.filter(breach_file=breach_file, state=SubjectImport.State.IMPORTED)
    last_imported = imported.order_by("-finished_at", "-pk").first()
    last_attempt = latest_subject_import(breach_file)
    return ImportPanel(
        stored=subjects.count(),
        addresses_to_review=subjects.filter(address_needs_review=True).count(),
        imports_stored=imported.count(),
        last_imported=last_imported,
        last_attempt=None if last_attempt == last_imported else last_attempt,
    )
