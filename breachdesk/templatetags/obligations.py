"""Template tags of the obligations panel."""

from __future__ import annotations

from django import template

from breachdesk.models import BreachFile
from breachdesk.obligations import selectors

register = template.Library()


@register.simple_tag
def breach_file_obligations(breach_file: BreachFile) -> list[selectors.ObligationPhase]:
    """Return the breach file's obligation phases in the order they fall due."""
    return selectors.obligations_of_breach_file(breach_file=breach_file)
