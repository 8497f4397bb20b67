"""Art. 34(2): the texts of the letter and email to data subjects, per language, frozen at launch."""

from __future__ import annotations

from collections.abc import Iterable

from django.template.loader import render_to_string

from breachdesk.models import BreachFile, PersonalData
from breachdesk.taxonomy import Consequence, DataCategory
from notifications.models import (
    Campaign,
    NoticeText,
)

SECTIONS = ("what_happened", "consequences", "measures", "advice")


CONSEQUENCE_WORDS: dict[str, tuple[str, str]] = {
    Consequence.LOSS_OF_CONTROL: ("la perte de maîtrise de vos données", "losing control over your data"),
    Consequence.DISCRIMINATION: ("des discriminations", "discrimination"),
    Consequence.IDENTITY_THEFT: ("une usurpation de votre identité", "identity theft"),
    Consequence.FRAUD: ("des tentatives d'escroquerie", "fraud attempts"),
    Consequence.FINANCIAL_LOSS: ("une perte financière", "financial loss"),
    Consequence.REPUTATION: ("une atteinte à votre réputation", "damage to your reputation"),
    Consequence.PROFESSIONAL_SECRECY: (
        "la divulgation d'informations couvertes par le secret médical",
        "disclosure of information covered by medical secrecy",
    ),
    Consequence.OTHER: ("d'autres préjudices", "other harm"),
}


# Emails describe exposure at the level of the CNIL categories, never the pathology.
CATEGORY_WORDS: dict[str, tuple[str, str]] = {
    DataCategory.CIVIL_STATUS: (
        "votre identité (nom, prénom, date de naissance)",
        "your identity (name, date of birth)",
    ),
    DataCategory.NIR: ("votre numéro de sécurité sociale", "your social security number"),
    DataCategory.CONTACT: ("vos coordonnées", "your contact details"),
    DataCategory.ACCESS: ("des données d'identification ou d'accès", "identification or access data"),
    DataCategory.FINANCIAL: ("des données financières", "financial data"),
    DataCategory.OFFICIAL_DOCUMENTS: ("des documents officiels", "official documents"),
    DataCategory.LOCATION: ("des données de localisation", "location data"),
    DataCategory.OFFENCES: ("des données relatives à des infractions", "data about offences"),
    DataCategory.HEALTH: ("des données de santé", "health data"),
    DataCategory.GENETIC: ("des données génétiques", "genetic data"),
    DataCategory.OTHER: ("d'autres informations administratives", "other administrative information"),
    DataCategory.UNKNOWN: ("des données encore en cours d'identification", "data still being identified"),
}


def category_words(categories: Iterable[str], language: str) -> list[str]:
    index = 1 if language == "en" else 0
    return [CATEGORY_WORDS[category][index] for category in categories if category in CATEGORY_WORDS]


def default_texts(breach_file: BreachFile, language: str) -> dict[str, str]:
    """Propose the four sections from the breach file, in plain words; the DPO edits them before launch.

    The wording is in templates/notifications/texts/<language>/<section>.txt.
    """
    english = language == "en"
    processor = breach_file.incident.processor
    context = {
        "organisation": breach_file.controller.name,
        "processor": processor.name if processor else "",
        "consequences": [
            CONSEQUENCE_WORDS[code][1 if english else 0]
            for code in breach_file.consequences
            if code in CONSEQUENCE_WORDS
        ],
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


def salutation(personal: PersonalData, language: str) -> str:
    name = " ".join(part for part in (personal.first_name.strip(), personal.last_name.strip().upper()) if part)
    if language == "en":
        return f"Dear {name}," if name else "Dear Sir or Madam,"
    return f"Bonjour {name}," if name else "Madame, Monsieur,"
