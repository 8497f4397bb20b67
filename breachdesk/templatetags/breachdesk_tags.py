"""Template helpers of the core app's pages: labels in the reader's language, and the panels other apps add."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext_lazy as _

from breachdesk import panels
from breachdesk.formats import reader_language
from breachdesk.models import Channel, DecisionOutcome
from breachdesk.risk import Band, SeverityScore
from breachdesk.taxonomy import EXPOSURES, Consequence, DataCategory, Nature, PersonCategory

register = template.Library()


@register.simple_tag
def breach_file_tabs() -> list[panels.Tab]:
    """The tabs of a breach file's navigation, from every app."""
    return panels.tabs()


@register.simple_tag
def breach_file_tab(key: str) -> panels.Tab | None:
    """One tab of a breach file's navigation by its key, when its app is installed."""
    return panels.tab(key)


@register.simple_tag
def incident_links(user: Any, incident: Any) -> list[panels.IncidentLink]:
    """The pages other apps add about an incident, those the user may open."""
    return panels.incident_links(user, incident)


@register.simple_tag
def breach_file_panels() -> list[str]:
    """The templates of the panels other apps add to the breach file page."""
    return panels.panels()


@register.filter
def get_item(mapping: dict[str, Any], key: str) -> Any:
    return mapping.get(key) if mapping else None


@register.filter
def exposure_labels(codes: list[str] | tuple[str, ...]) -> str:
    language = reader_language()
    return ", ".join(EXPOSURES[code].label(language) if code in EXPOSURES else code for code in codes)


@register.filter
def arithmetic_local(score: SeverityScore) -> str:
    return score.arithmetic(reader_language())


@register.filter
def explanation_local(score: SeverityScore) -> list[str]:
    return score.explanation(reader_language())


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


@register.filter
def channel_labels(channels: list[str] | None) -> str:
    """Name the channels ("post", "email") as the page's language does."""
    return ", ".join(
        str(Channel(channel).label) if channel in Channel.values else channel for channel in channels or []
    )
