"""Template helpers of the notification pages and documents, and the breach file panel."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

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


def _ui_language() -> str:
    """The language of the page being rendered, as the taxonomy and the ENISA arithmetic name it."""
    return "en" if (get_language() or "").startswith("en") else "fr"


@register.filter
def exposure_labels(codes: list[str] | tuple[str, ...]) -> str:
    language = _ui_language()
    return ", ".join(EXPOSURES[code].label(language) if code in EXPOSURES else code for code in codes)


@register.filter
def arithmetic_local(score: SeverityScore) -> str:
    return score.arithmetic(_ui_language())


@register.filter
def explanation_local(score: SeverityScore) -> list[str]:
    return score.explanation(_ui_language())


@register.filter
def channel_labels(channels: list[str] | None) -> str:
    """Name the channels ("post", "email") as the page's language does."""
    from notifications.campaign_models import Channel

    return ", ".join(
        str(Channel(channel).label) if channel in Channel.values else channel for channel in channels or []
    )


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
    DecisionOutcome.NOTIFY: _("Yes"),
    DecisionOutcome.DO_NOT_NOTIFY: _("No: unlikely risk"),
    DecisionOutcome.INFORM: _("Yes"),
    DecisionOutcome.NOT_REQUIRED: _("No: not high risk"),
    DecisionOutcome.EXEMPT_UNINTELLIGIBLE: _("No: Art. 34(3)(a)"),
    DecisionOutcome.EXEMPT_MITIGATED: _("No: Art. 34(3)(b)"),
    DecisionOutcome.EXEMPT_DISPROPORTIONATE: _("Public communication: Art. 34(3)(c)"),
}


@register.filter
def outcome_short(outcome: str) -> str:
    return str(SHORT_OUTCOMES[DecisionOutcome(outcome)]) if outcome in DecisionOutcome.values else outcome


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
