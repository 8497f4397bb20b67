"""One way to show a moment to a person (stored in UTC, shown in Paris time), and the typography of letters."""

from __future__ import annotations

import html
import re
import unicodedata
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.utils import formats, translation
from django.utils.html import escape
from django.utils.translation import get_language

PARIS = ZoneInfo("Europe/Paris")
NO_BREAK_SPACE = "\u00a0"


def paris_datetime(moment: datetime | None, *, seconds: bool = False) -> str:
    """Format an aware moment as Paris wall-clock time (dd/mm/yyyy hh:mm[:ss]), or "" for none."""
    return moment.astimezone(PARIS).strftime("%d/%m/%Y %H:%M:%S" if seconds else "%d/%m/%Y %H:%M") if moment else ""


def reader_language() -> str:
    """The language of the page being rendered, as the taxonomy, letters and the ENISA arithmetic name it."""
    return "en" if (get_language() or "").startswith("en") else "fr"


def letter_date(day: date, language: str) -> str:
    """Write a day as a letter does: "1er décembre 2026" in French, "1 December 2026" in English."""
    with translation.override(language):
        month_year = formats.date_format(day, "F Y")
    if language == "fr":
        return f"{'1er' if day.day == 1 else day.day} {month_year}"
    return f"{day.day} {month_year}"


# French common nouns that open organisation names and carry an implied article ("le laboratoire X").
_MASCULINE = {"laboratoire", "centre", "groupe", "groupement", "cabinet", "service", "syndicat", "pôle", "réseau"}
_FEMININE = {"clinique", "polyclinique", "société", "fondation", "maison", "mutuelle", "caisse", "association"}
_ELIDED = {"hôpital", "institut", "établissement", "office", "union", "agence"}
_ARTICLES = {"le ": "du ", "la ": "de la ", "les ": "des ", "l'": "de l'", "l\u2019": "de l\u2019"}


def _starts_with_vowel_sound(word: str) -> bool:
    first = unicodedata.normalize("NFD", word[:1].lower())[:1]
    return first in "aeiouyh"


def of_name(name: str) -> str:
    """Write "of <name>" in French: "du Laboratoire X", "de la Clinique", "de l'Hôpital", "d'Angers", "de Rennes"."""
    name = name.strip()
    lowered = name.lower()
    for article, contracted in _ARTICLES.items():
        if lowered.startswith(article):
            return contracted + name[len(article) :]
    first_word = lowered.split(" ", 1)[0].split("-", 1)[0]
    if first_word in _MASCULINE:
        return f"du {name}"
    if first_word in _FEMININE:
        return f"de la {name}"
    if first_word in _ELIDED:
        return f"de l'{name}"
    return f"d'{name}" if _starts_with_vowel_sound(name) else f"de {name}"


def of_organisation(name: str, language: str) -> str:
    """Write "of <name>" in a letter's language."""
    return of_name(name) if language == "fr" else f"of {name}"


# French typography: a no-break space before : ; ? ! and », after «; a URL's "://" is left alone.
_BEFORE_PUNCTUATION = re.compile(r"[ \t]+([:;?!»])")
_TIGHT_PUNCTUATION = re.compile(r"(?<=[\w»)])([:;?!])(?=\s|$)")
_AFTER_GUILLEMET = re.compile(r"«[ \t]*")


def french_typography(text: str) -> str:
    """Put the no-break spaces French typography requires into a text."""
    text = _BEFORE_PUNCTUATION.sub(NO_BREAK_SPACE + r"\1", text)
    text = _TIGHT_PUNCTUATION.sub(NO_BREAK_SPACE + r"\1", text)
    return _AFTER_GUILLEMET.sub("«" + NO_BREAK_SPACE, text)


def typeset(text: str, language: str) -> str:
    """Apply a language's typography to a text a person reads (French only changes anything)."""
    return french_typography(text) if language == "fr" else text


_TEXT_BETWEEN_TAGS = re.compile(r">([^<]+)<")
_RAW_ELEMENTS = re.compile(r"(<(style|script)\b.*?</\2\s*>)", re.S | re.I)


def typeset_html(document: str, language: str) -> str:
    """Apply the typography to the text of an HTML body, never to its markup, styles, scripts or title."""
    if language != "fr":
        return document
    start = document.find("<body")
    start = 0 if start < 0 else start

    def set_text(part: str) -> str:
        # Entities (&gt;, &#x27;) end in ";": the text is read unescaped, set, and escaped again as Django does.
        return _TEXT_BETWEEN_TAGS.sub(
            lambda match: ">" + escape(french_typography(html.unescape(match.group(1)))) + "<", part
        )

    pieces = _RAW_ELEMENTS.split(document[start:])
    # split() returns text, then each raw element and its tag name: only the text is set.
    body = "".join(
        set_text(piece) if index % 3 == 0 else (piece if index % 3 == 1 else "") for index, piece in enumerate(pieces)
    )
    return document[:start] + body
