"""Template tags of the data subject import panel."""

from __future__ import annotations

from django import template

from breachdesk.models import BreachFile, SubjectImport

register = template.Library()


@register.simple_tag
def latest_subject_import(breach_file: BreachFile) -> SubjectImport | None:
    """Return the breach file's most recent import, or None."""
    return SubjectImport.objects.filter(breach_file=breach_file).order_by("-created_at", "-pk").first()
