"""The sections of a breach file's case, as its page shows them and its form groups them (DOMAIN.md section 5).

One list for both, so each section of the page links to the same anchor of the edit form.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from breachdesk.models import BreachFile
from breachdesk.taxonomy import Cause, Consequence, DataCategory, Nature, Origin, OtherBody, PersonCategory


@dataclass(frozen=True)
class Section:
    key: str  # the anchor of the section on the breach file page and in its edit form
    title: str | Promise
    fields: tuple[str, ...]


SECTIONS = (
    Section(
        "dates",
        _("Dates and discovery"),
        (
            "became_aware_at",
            "processor_informed_at",
            "late_awareness_reason",
            "started_at",
            "discovered_at",
            "ended_at",
            "is_ongoing",
            "discovery_circumstances",
        ),
    ),
    Section(
        "nature",
        _("Nature and circumstances"),
        ("is_established", "narrative", "natures", "origin", "origin_detail", "cause"),
    ),
    Section(
        "persons",
        _("Persons and data concerned"),
        (
            "person_categories",
            "approximate_persons",
            "approximate_records",
            "is_directly_identifiable",
            "data_categories",
            "counts_override_reason",
        ),
    ),
    Section("consequences", _("Likely consequences"), ("consequences", "consequences_detail", "severity")),
    Section(
        "measures",
        _("Measures taken or proposed"),
        (
            "security_measures_before",
            "measures_immediate",
            "measures_medium_term",
            "measures_long_term",
            "mitigation_measures",
        ),
    ),
    Section(
        "other-bodies",
        _("Other authorities and bodies"),
        (
            "complaint_filed_on",
            "complaint_filed_with",
            "other_bodies_informed",
            "other_bodies_detail",
            "other_authorities",
        ),
    ),
    Section("notification", _("Notification of the supervisory authority"), ("delay_reasons",)),
)

LIST_CHOICES: dict[str, type[models.TextChoices]] = {
    "natures": Nature,
    "person_categories": PersonCategory,
    "data_categories": DataCategory,
    "consequences": Consequence,
    "other_bodies_informed": OtherBody,
}
# What the CNIL asks and may be "not known yet": left empty (or "unknown"), it is listed as still unknown.
ASKED = {
    "became_aware_at",
    "processor_informed_at",
    "started_at",
    "discovered_at",
    "ended_at",
    "discovery_circumstances",
    "narrative",
    "natures",
    "origin",
    "cause",
    "person_categories",
    "approximate_persons",
    "approximate_records",
    "data_categories",
    "consequences",
    "severity",
    "security_measures_before",
    "measures_immediate",
    "mitigation_measures",
}
UNKNOWN_CHOICES = {"origin": Origin.UNKNOWN, "cause": Cause.UNKNOWN}
YES_NO = {True: pgettext_lazy("answer", "Yes"), False: pgettext_lazy("answer", "No")}
ESTABLISHED = {True: _("Established"), False: _("Suspected")}


@dataclass(frozen=True)
class Entry:
    name: str
    label: str
    value: object  # a datetime, a date, a text, or a label already in the reader's language
    kind: str  # "datetime", "date", "text" or "label"
    is_unknown: bool


def _entry(breach_file: BreachFile, name: str) -> Entry:
    field = BreachFile._meta.get_field(name)
    label = str(getattr(field, "verbose_name", name))
    label = label[:1].upper() + label[1:]
    value = getattr(breach_file, name)
    if name in LIST_CHOICES:
        choices = LIST_CHOICES[name]
        shown = ", ".join(str(choices(item).label) if item in choices.values else item for item in value or [])
        is_unknown = not value or (name == "data_categories" and DataCategory.UNKNOWN in value)
        return Entry(name, label, shown, "label", name in ASKED and is_unknown)
    if isinstance(value, bool):
        labels = ESTABLISHED if name == "is_established" else YES_NO
        return Entry(name, label, str(labels[value]), "label", False)
    if name == "ended_at" and breach_file.is_ongoing:
        return Entry(name, label, str(_("still ongoing")), "label", False)
    if isinstance(value, datetime):
        return Entry(name, label, value, "datetime", False)
    if isinstance(value, date):
        return Entry(name, label, value, "date", False)
    if getattr(field, "choices", None):
        shown = getattr(breach_file, f"get_{name}_display")() if value else ""
        is_unknown = not value or UNKNOWN_CHOICES.get(name) == value
        return Entry(name, label, shown, "label", name in ASKED and is_unknown)
    if value is None or (isinstance(value, str) and not value.strip()):
        # Art. 33(2): without a processor, no one informs the controller.
        is_asked = name in ASKED and not (name == "processor_informed_at" and breach_file.incident.processor_id is None)
        return Entry(name, label, "", "text", is_asked)
    return Entry(name, label, value if isinstance(value, str) else str(value), "text", False)


@dataclass(frozen=True)
class ShownSection:
    section: Section
    entries: list[Entry]


def case_sections(breach_file: BreachFile) -> list[ShownSection]:
    """Return every section of the case with its entries, labels and choices in the active language."""
    return [ShownSection(section, [_entry(breach_file, name) for name in section.fields]) for section in SECTIONS]


def still_unknown(shown: list[ShownSection]) -> list[tuple[Section, Entry]]:
    """List what the CNIL asks and the case does not know yet, with the section where it is filled in."""
    return [(part.section, entry) for part in shown for entry in part.entries if entry.is_unknown]
