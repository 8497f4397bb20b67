"""Art. 34(2): the texts of the letter and email to data subjects, per language, frozen at launch."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import pgettext, pgettext_lazy

from breachdesk.models import BreachFile, PersonalData
from breachdesk.taxonomy import Consequence, DataCategory
from notifications.models import (
    Campaign,
    NoticeText,
)

SECTIONS = ("what_happened", "consequences", "measures", "advice")


CONSEQUENCE_WORDS: dict[str, Promise] = {
    Consequence.LOSS_OF_CONTROL: pgettext_lazy("letter", "losing control over your data"),
    Consequence.DISCRIMINATION: pgettext_lazy("letter", "discrimination"),
    Consequence.IDENTITY_THEFT: pgettext_lazy("letter", "identity theft"),
    Consequence.FRAUD: pgettext_lazy("letter", "fraud attempts"),
    Consequence.FINANCIAL_LOSS: pgettext_lazy("letter", "financial loss"),
    Consequence.REPUTATION: pgettext_lazy("letter", "damage to your reputation"),
    Consequence.PROFESSIONAL_SECRECY: pgettext_lazy("letter", "disclosure of information covered by medical secrecy"),
    Consequence.OTHER: pgettext_lazy("letter", "other harm"),
}


# Emails describe exposure at the level of the CNIL categories, never the pathology.
CATEGORY_WORDS: dict[str, Promise] = {
    DataCategory.CIVIL_STATUS: pgettext_lazy("letter", "your identity (name, date of birth)"),
    DataCategory.NIR: pgettext_lazy("letter", "your social security number"),
    DataCategory.CONTACT: pgettext_lazy("letter", "your contact details"),
    DataCategory.ACCESS: pgettext_lazy("letter", "identification or access data"),
    DataCategory.FINANCIAL: pgettext_lazy("letter", "financial data"),
    DataCategory.OFFICIAL_DOCUMENTS: pgettext_lazy("letter", "official documents"),
    DataCategory.LOCATION: pgettext_lazy("letter", "location data"),
    DataCategory.OFFENCES: pgettext_lazy("letter", "data about offences"),
    DataCategory.HEALTH: pgettext_lazy("letter", "health data"),
    DataCategory.GENETIC: pgettext_lazy("letter", "genetic data"),
    DataCategory.OTHER: pgettext_lazy("letter", "other administrative information"),
    DataCategory.UNKNOWN: pgettext_lazy("letter", "data still being identified"),
}


def category_words(categories: Iterable[str], language: str) -> list[str]:
    """Name the CNIL categories as a letter or an email in that language does."""
    with translation.override(language):
        return [str(CATEGORY_WORDS[category]) for category in categories if category in CATEGORY_WORDS]


def _consequence_words(consequences: Iterable[str], language: str) -> list[str]:
    with translation.override(language):
        return [str(CONSEQUENCE_WORDS[code]) for code in consequences if code in CONSEQUENCE_WORDS]


def default_texts(breach_file: BreachFile, language: str) -> dict[str, str]:
    """Propose the four sections from the breach file, in plain words; the DPO edits them before launch.

    The wording is in templates/notifications/texts/<language>/<section>.txt.
    """
    english = language == "en"
    processor = breach_file.incident.processor
    context = {
        "organisation": breach_file.controller.name,
        "processor": processor.name if processor else "",
        "consequences": _consequence_words(breach_file.consequences, language),
        "measures": "\n".join(
            text
            for text in (
                breach_file.measures_immediate,
                breach_file.measures_medium_term,
                breach_file.measures_long_term,
            )
            if text.strip()
        ),
    }
    folder = "en" if english else "fr"
    return {
        section: render_to_string(f"notifications/texts/{folder}/{section}.txt", context).removesuffix("\n")
        for section in SECTIONS
    }


def notice_texts(breach_file: BreachFile) -> dict[str, dict[str, str]]:
    """Return the current text per language: the campaign's frozen text once launched, else the DPO's or the default."""
    campaign = Campaign.objects.filter(breach_file=breach_file).first()
    if campaign is not None and campaign.texts:
        return campaign.texts
    stored = {text.language: text for text in NoticeText.objects.filter(breach_file=breach_file)}
    texts: dict[str, dict[str, str]] = {}
    for language in ("fr", "en"):
        if language in stored:
            texts[language] = {section: getattr(stored[language], section) for section in SECTIONS}
        else:
            texts[language] = default_texts(breach_file, language)
    return texts


@lru_cache(maxsize=8)
def _greetings(language: str) -> tuple[str, str]:
    # Once per language: a translation lookup per email cost ~7 us in the sending loop.
    with translation.override(language):
        return pgettext("letter", "Dear %(name)s,"), pgettext("letter", "Dear Sir or Madam,")


def salutation(personal: PersonalData, language: str) -> str:
    name = " ".join(part for part in (personal.first_name.strip(), personal.last_name.strip().upper()) if part)
    with_name, without_name = _greetings(language)
    return with_name % {"name": name} if name else without_name
