"""Art. 34(2): the texts of the letter and email to data subjects, per language, frozen at launch."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

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
    """Propose the four sections from the breach file, in plain words; the DPO edits them before launch."""
    english = language == "en"
    organisation = breach_file.controller.name
    processor = breach_file.incident.processor
    consequences = [
        CONSEQUENCE_WORDS[code][1 if english else 0] for code in breach_file.consequences if code in CONSEQUENCE_WORDS
    ]
    measures = "\n".join(
        text
        for text in (breach_file.measures_immediate, breach_file.measures_medium_term, breach_file.measures_long_term)
        if text.strip()
    )
    if english:
        via = f" held by {processor.name}, a service provider of {organisation}," if processor else ""
        return {
            "what_happened": (
                f"We are writing to tell you that personal data about you{via} were exposed in a personal data breach. "
                "A file containing information about patients was made accessible to unauthorised persons. "
                "We are informing each person concerned individually."
            ),
            "consequences": (
                "These data could be used against you, in particular for "
                + (", ".join(consequences) if consequences else "targeted phishing attempts or identity theft")
                + ". Some of them are covered by medical secrecy."
            ),
            "measures": measures
            or (
                "We stopped the exposure as soon as we knew of it, notified the CNIL (the French data protection "
                "authority) and asked our service provider to strengthen its security."
            ),
            "advice": (
                "Be wary of any message (email, text message, phone call, letter) that mentions your health, your "
                "laboratory or your social security and asks you for money, passwords or bank details: we will never "
                "ask you for them.\n"
                "Watch for signs of identity theft: mail or accounts you do not recognise, unexpected bank charges.\n"
                "You can check whether bank accounts were opened in your name by asking the FICOBA file through "
                "the CNIL (www.cnil.fr).\n"
                "You can file a complaint with the CNIL (www.cnil.fr/plaintes) and with the police.\n"
                "For any question, contact our data protection officer at the details below."
            ),
        }
    via = f" détenues par {processor.name}, prestataire de {organisation}," if processor else ""
    return {
        "what_happened": (
            f"Nous vous informons que des données personnelles vous concernant{via} ont été exposées lors d'une "
            "violation de données personnelles. Un fichier contenant des informations sur des patients a été rendu "
            "accessible à des personnes non autorisées. Nous informons chaque personne concernée individuellement."
        ),
        "consequences": (
            "Ces données pourraient être utilisées à votre encontre, notamment pour "
            + (
                ", ".join(consequences)
                if consequences
                else "des tentatives d'hameçonnage ciblées ou une usurpation d'identité"
            )
            + ". Certaines d'entre elles sont couvertes par le secret médical."
        ),
        "measures": measures
        or (
            "Nous avons fait cesser l'exposition dès que nous en avons eu connaissance, notifié la CNIL et demandé "
            "à notre prestataire de renforcer sa sécurité."
        ),
        "advice": (
            "Méfiez-vous de tout message (courriel, SMS, appel, courrier) qui évoque votre santé, votre laboratoire "
            "ou votre sécurité sociale et vous demande de l'argent, un mot de passe ou vos coordonnées bancaires : "
            "nous ne vous les demanderons jamais.\n"
            "Surveillez les signes d'une usurpation d'identité : courriers ou comptes que vous ne reconnaissez pas, "
            "prélèvements inattendus.\n"
            "Vous pouvez vérifier qu'aucun compte bancaire n'a été ouvert à votre nom en interrogeant le fichier "
            "FICOBA par l'intermédiaire de la CNIL (www.cnil.fr).\n"
            "Vous pouvez déposer une plainte auprès de la CNIL (www.cnil.fr/plaintes) et auprès de la police ou "
            "de la gendarmerie.\n"
            "Pour toute question, contactez notre délégué à la protection des données aux coordonnées ci-dessous."
        ),
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


@transaction.atomic
def salutation(personal: PersonalData, language: str) -> str:
    name = " ".join(part for part in (personal.first_name.strip(), personal.last_name.strip().upper()) if part)
    if language == "en":
        return f"Dear {name}," if name else "Dear Sir or Madam,"
    return f"Bonjour {name}," if name else "Madame, Monsieur,"
