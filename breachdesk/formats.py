"""One way to show a moment to a person: stored in UTC, shown in Paris time."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django.utils.translation import get_language

PARIS = ZoneInfo("Europe/Paris")


def paris_datetime(moment: datetime | None) -> str:
    """Format an aware moment as Paris wall-clock time (dd/mm/yyyy hh:mm), or "" for none."""
    return moment.astimezone(PARIS).strftime("%d/%m/%Y %H:%M") if moment else ""


def reader_language() -> str:
    """The language of the page being rendered, as the taxonomy, letters and the ENISA arithmetic name it."""
    return "en" if (get_language() or "").startswith("en") else "fr"
