"""Template helpers of the notification pages and documents, and the breach file panel."""

from __future__ import annotations

from typing import Any

from django import template

from breachdesk.models import BreachFile, DecisionOutcome, User
from breachdesk.risk import Band, SeverityScore, band_label
from breachdesk.taxonomy import EXPOSURES, Consequence, DataCategory, Nature, PersonCategory
from notifications import cnil

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


@register.filter
def get_item(mapping: dict[str, Any], key: str) -> Any:
    return mapping.get(key) if mapping else None


@register.inclusion_tag("notifications/pages/_panel_body.html", takes_context=True)
def notifications_panel(context: template.Context, breach_file: BreachFile) -> dict[str, Any]:
    """Show the risk assessment, the decisions, the filings and the processor notice of a breach file."""
    from notifications.services import breach_file_rows

    user = context.get("user")
    row = breach_file_rows(BreachFile.objects.filter(pk=breach_file.pk))[0]
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
def exposure_labels(codes: list[str] | tuple[str, ...]) -> str:
    return ", ".join(EXPOSURES[code].label_en if code in EXPOSURES else code for code in codes)


@register.filter
def band_name(band: str) -> str:
    return str(Band(band).label) if band in Band.values else band


@register.filter
def band_names(bands: list[str]) -> str:
    return ", ".join(band_name(band) for band in bands or [])


@register.filter
def outcome_name(outcome: str) -> str:
    return str(DecisionOutcome(outcome).label) if outcome in DecisionOutcome.values else outcome


SHORT_OUTCOMES = {
    DecisionOutcome.NOTIFY: "Yes",
    DecisionOutcome.DO_NOT_NOTIFY: "No: unlikely risk",
    DecisionOutcome.INFORM: "Yes",
    DecisionOutcome.NOT_REQUIRED: "No: not high risk",
    DecisionOutcome.EXEMPT_UNINTELLIGIBLE: "No: Art. 34(3)(a)",
    DecisionOutcome.EXEMPT_MITIGATED: "No: Art. 34(3)(b)",
    DecisionOutcome.EXEMPT_DISPROPORTIONATE: "Public communication: Art. 34(3)(c)",
}


@register.filter
def outcome_short(outcome: str) -> str:
    return SHORT_OUTCOMES.get(DecisionOutcome(outcome), outcome) if outcome in DecisionOutcome.values else outcome


ENUMERATIONS: dict[str, Any] = {
    "nature": Nature,
    "consequence": Consequence,
    "data": DataCategory,
    "person": PersonCategory,
}


@register.filter
def choice_labels(values: list[str], kind: str) -> str:
    """Show enumeration values by their labels, e.g. natures or consequences of a breach file."""
    enumeration = ENUMERATIONS[kind]
    return ", ".join(str(enumeration(value).label) if value in enumeration.values else value for value in values or [])
