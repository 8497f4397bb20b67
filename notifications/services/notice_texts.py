"""Art. 34(2): the texts of the letter and email to data subjects, per language, frozen at launch.

The consequences and advice sections hold lines a DPO edits; a line opening with a condition in brackets
("[civil_status+nir] ...") is said only to persons whose exposed CNIL categories meet it (breachdesk.taxonomy), so a
person reads the harms and the advice that follow from their own data, and nothing twice.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from breachdesk.formats import letter_date, of_organisation, typeset
from breachdesk.models import BreachFile, PersonalData
from breachdesk.models.subjects import Title
from breachdesk.taxonomy import HARM_CONDITIONS, Consequence, DataCategory, condition_holds, known_condition
from notifications.models import Campaign, Notice, NoticeText

SECTIONS = ("what_happened", "consequences", "measures", "advice")
# The sections whose lines may carry a condition.
CONDITIONAL_SECTIONS = ("consequences", "advice")
LANGUAGES = ("fr", "en")

_CONDITION = re.compile(r"^\s*\[([^\]]*)\]\s*")


@dataclass(frozen=True)
class Line:
    condition: str
    text: str

    def holds_for(self, categories: frozenset[str]) -> bool:
        return not self.condition or condition_holds(self.condition, categories)


def parse_lines(text: str) -> list[Line]:
    """Read a conditional section: one line per sentence, an optional [condition] first."""
    lines: list[Line] = []
    for raw in text.splitlines():
        if not raw.strip():
            continue
        match = _CONDITION.match(raw)
        if match:
            lines.append(Line(condition=match.group(1).strip(), text=raw[match.end() :].strip()))
        else:
            lines.append(Line(condition="", text=raw.strip()))
    return lines


def lines_for(text: str, categories: Iterable[str]) -> list[str]:
    """Keep the lines of a section meant for these CNIL categories, each said once."""
    held = frozenset(categories)
    seen: set[str] = set()
    kept: list[str] = []
    for line in parse_lines(text):
        if line.text and line.holds_for(held) and line.text not in seen:
            seen.add(line.text)
            kept.append(line.text)
    return kept


def said_to(*, texts: dict[str, str], categories: Iterable[str], language: str) -> dict[str, list[str]]:
    """What a letter or an email says to a person of these CNIL categories: the named categories, each section's
    paragraphs, and the lines of the conditional sections meant for them, set in the language's typography."""
    held = list(categories)

    def paragraphs(section: str) -> list[str]:
        return [typeset(line.strip(), language) for line in texts.get(section, "").splitlines() if line.strip()]

    def conditional(section: str) -> list[str]:
        return [typeset(line, language) for line in lines_for(texts.get(section, ""), held)]

    with translation.override(language):
        # Letters and emails name the CNIL categories; the specific health items are never among them.
        named = [str(DataCategory(category).label) for category in held]
    return {
        "categories": named,
        "what_happened": paragraphs("what_happened"),
        "consequences": conditional("consequences"),
        "measures": paragraphs("measures"),
        "advice": conditional("advice"),
    }


def check_conditions(values: dict[str, str]) -> dict[str, str]:
    """Return an error per section whose line names an unknown category, with the line number."""
    errors: dict[str, str] = {}
    for section in CONDITIONAL_SECTIONS:
        for number, raw in enumerate(values.get(section, "").splitlines(), start=1):
            match = _CONDITION.match(raw)
            if match and not known_condition(match.group(1)):
                errors[section] = _(
                    "Line %(line)s: the condition [%(condition)s] names no known category. Use the codes %(codes)s, "
                    "joined by + (all of them) or , (any of them)."
                ) % {"line": number, "condition": match.group(1), "codes": ", ".join(DataCategory.values)}
                break
    return errors


def default_texts(breach_file: BreachFile, language: str) -> dict[str, str]:
    """Propose the four sections in plain words from the breach file's facts; the DPO reads and edits them.

    The wording is in templates/notifications/texts/<language>/<section>.txt; nothing of the breach file's free
    text (written in one language) is copied into them, so every language's proposal is wholly in that language.
    """
    folder = "en" if language == "en" else "fr"
    incident = breach_file.incident
    processor = incident.processor
    with translation.override(folder):
        context = {
            "organisation": breach_file.controller.name,
            "of_organisation": of_organisation(breach_file.controller.name, folder),
            "processor": processor.name if processor else "",
            "origin": breach_file.origin,
            "started_on": letter_date(breach_file.started_at.date(), folder) if breach_file.started_at else "",
            "aware_on": letter_date(breach_file.became_aware_at.date(), folder) if breach_file.became_aware_at else "",
            "is_ongoing": breach_file.is_ongoing,
            # "We notified the CNIL" only once it is true.
            "authority_notified": breach_file.authority_notified_at is not None,
            "when": {str(code): HARM_CONDITIONS.get(code, "") for code in Consequence.values},
        }
        return {
            section: render_to_string(f"notifications/texts/{folder}/{section}.txt", context).strip("\n")
            for section in SECTIONS
        }


def stored_languages(breach_file: BreachFile) -> set[str]:
    """The languages whose text a person saved for this breach file."""
    return set(NoticeText.objects.filter(breach_file=breach_file).values_list("language", flat=True))


def notice_texts(breach_file: BreachFile) -> dict[str, dict[str, str]]:
    """Return the current text per language: the campaign's frozen text once launched, else the DPO's or the default."""
    campaign = Campaign.objects.filter(breach_file=breach_file).first()
    if campaign is not None and campaign.texts:
        return campaign.texts
    stored = {text.language: text for text in NoticeText.objects.filter(breach_file=breach_file)}
    texts: dict[str, dict[str, str]] = {}
    for language in LANGUAGES:
        if language in stored:
            texts[language] = {section: getattr(stored[language], section) for section in SECTIONS}
        else:
            texts[language] = default_texts(breach_file, language)
    return texts


@lru_cache(maxsize=32)
def _greeting(language: str, addressee: str, title: str) -> str:
    # Once per language, addressee and title: a template per email would cost more than its SMTP exchange.
    folder = "en" if language == "en" else "fr"
    context = {"addressee": addressee, "title": title}
    return render_to_string(f"notifications/texts/{folder}/salutation.txt", context).strip()


def salutation(personal: PersonalData, language: str, addressee: str = Notice.Addressee.SUBJECT) -> str:
    """Greet as a letter in that language does: "Madame, Monsieur," or "Madame," in French, "Dear Ms X," in English."""
    title = personal.title if personal.title in Title.values else ""
    greeting = _greeting(language, addressee, title)
    return greeting.replace("NAME", personal.last_name.strip().upper()) if "NAME" in greeting else greeting
