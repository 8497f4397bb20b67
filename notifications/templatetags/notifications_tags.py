"""Template helpers of the notification pages and documents, and the breach file panel."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.text import capfirst
from django.utils.translation import gettext

from breachdesk.formats import reader_language
from breachdesk.models import BreachFile, Organisation, User
from breachdesk.risk import SeverityScore, band_label
from notifications import cnil
from notifications.selectors.obligations import ObligationGrid

register = template.Library()

FRENCH_LABELS: dict[str, dict[Any, str]] = {
    "nature": cnil.NATURE_FR,
    "origin": cnil.ORIGIN_FR,
    "cause": cnil.CAUSE_FR,
    "data": cnil.DATA_CATEGORY_FR,
    "consequence": cnil.CONSEQUENCE_FR,
    "person": cnil.PERSON_CATEGORY_FR,
}


@register.filter
def grid_count(grid: ObligationGrid, state: str) -> int:
    """How many cells of the obligation grid are in this state."""
    return grid.count(state)


@register.filter
def person_label(user: User | None) -> str:
    """Name a person by name and role in the reader's language, never by login."""
    if user is None:
        return "BreachDesk"
    name = user.get_full_name().strip()
    role = str(user.get_role_display()) if user.role else ""
    if name and role:
        return f"{name} ({role})"
    return name or role or "—"


@register.filter
def as_lines(value: object) -> list[str]:
    """Split a value (text with line breaks, or a list) into the lines to print."""
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return [str(item) for item in value]
    return [line for line in str(value).splitlines() if line.strip()]


@register.filter
def fr_labels(values: list[str], kind: str) -> list[str]:
    labels = FRENCH_LABELS[kind]
    return [labels.get(value, value) for value in values or []]


@register.filter
def fr_label(value: str, kind: str) -> str:
    return FRENCH_LABELS[kind].get(value, value)


@register.filter
def arithmetic_fr(score: SeverityScore) -> str:
    return score.arithmetic("fr")


@register.filter
def band_fr(band: str) -> str:
    return band_label(band, "fr") if band else ""


@register.inclusion_tag("notifications/pages/_panel_body.html", takes_context=True)
def notifications_panel(context: template.Context, breach_file: BreachFile) -> dict[str, Any]:
    """Show the risk assessment, the decisions, the filings and the processor notice of a breach file."""
    from notifications.selectors.register import breach_file_rows

    user = context.get("user")
    # The panel names no Art. 34 count (the campaign panel shows them): the ledger is not read here.
    row = breach_file_rows(BreachFile.objects.filter(pk=breach_file.pk), with_informing=False)[0]
    return {
        "row": row,
        "breach_file": breach_file,
        "can_edit": isinstance(user, User) and user.can_edit_breach_files(),
        "request": context.get("request"),
    }


@register.filter
def join_lines(value: object) -> str:
    return " ; ".join(as_lines(value))


@register.filter
def gap_name(gap: cnil.Gap | dict[str, Any]) -> str:
    """Name a missing or unknown filing item for the reader: the CNIL's own words in French (what the DPO types into
    the teleservice), else the form field where it is filled in, in the reader's language.

    A gap is a `cnil.Gap`, or its JSON as a filing stored it.
    """
    item: dict[str, Any] = gap.as_json() if isinstance(gap, cnil.Gap) else gap
    if reader_language() == "fr":
        return f"{item['section']} — {item['label']}"
    target, _separator, name = str(item.get("edit") or "organisation:name").partition(":")
    models: dict[str, Any] = {"breach_file": BreachFile, "organisation": Organisation}
    if target not in models:
        key = str(item["key"])
        return gettext("Decision to inform the data subjects") if key == "information.status" else key
    field = models[target]._meta.get_field(name)
    label = capfirst(str(getattr(field, "verbose_name", name)))
    if target == "organisation":
        return f"{capfirst(str(Organisation._meta.verbose_name))} — {label}"
    return label


@register.filter
def gap_rule(required_by: str) -> str:
    """Name the rule that asks for an item; the teleservice's own word is named in the reader's language."""
    return gettext("CNIL teleservice") if required_by == "Téléservice" else required_by
