"""The notice history panel of the data subject page."""

from __future__ import annotations

from typing import Any

from django import template

from breachdesk.models import BreachFile, DataSubject, User
from notifications.models import NoticeState
from notifications.selectors.subjects import subject_notices

register = template.Library()


@register.inclusion_tag("notifications/pages/_subject_notices_body.html")
def subject_notices_panel(breach_file: BreachFile, subject: DataSubject, user: User) -> dict[str, Any]:
    """Show the person's notices in this breach file, each with its steps, and what may be sent again."""
    return {
        "breach_file": breach_file,
        "subject": subject,
        "history": subject_notices(subject),
        "can_edit": user.can_edit_breach_files(),
    }


@register.filter
def notice_state_label(state: str) -> str:
    """Name a ledger state in the reader's language."""
    return str(NoticeState(state).label) if state in NoticeState.values else state
