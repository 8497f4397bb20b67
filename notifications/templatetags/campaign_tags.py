"""The campaign panel of the breach file page."""

from __future__ import annotations

from typing import Any

from django import template

from breachdesk.models import BreachFile, User
from notifications.selectors.progress import campaign_context

register = template.Library()


@register.inclusion_tag("notifications/pages/_campaign_panel_body.html")
def campaign_panel(breach_file: BreachFile, user: User) -> dict[str, Any]:
    """Show the campaign's progress, or what launching it needs."""
    return {"breach_file": breach_file, "user": user, **campaign_context(breach_file, user)}
