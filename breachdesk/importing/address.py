"""The printable postal block of AFNOR NF Z10-011, as La Poste reads it through a window envelope."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from breachdesk.importing.abbreviations import ABBREVIATIONS
from breachdesk.importing.messages import Message
from breachdesk.importing.messages import deferred as _

MAX_LINES = 6
MAX_LINE_LENGTH = 38

# Letters NFKD does not decompose into a base letter.
_SPECIAL_LETTERS = str.maketrans({"Œ": "OE", "Æ": "AE", "ß": "SS", "Ø": "O", "Ł": "L", "Đ": "D", "Þ": "TH"})
_NOT_ALNUM_ASCII = re.compile(r"[^A-Z0-9]+")

# French names of the countries letters most often go to, as La Poste wants the last line.
COUNTRY_NAMES = {
    "AD": "ANDORRE",
    "AT": "AUTRICHE",
    "BE": "BELGIQUE",
    "BG": "BULGARIE",
    "CA": "CANADA",
    "CH": "SUISSE",
    "CY": "CHYPRE",
    "CZ": "TCHEQUIE",
    "DE": "ALLEMAGNE",
    "DK": "DANEMARK",
    "DZ": "ALGERIE",
    "EE": "ESTONIE",
    "ES": "ESPAGNE",
    "FI": "FINLANDE",
    "GB": "ROYAUME UNI",
    "GR": "GRECE",
    "HR": "CROATIE",
    "HU": "HONGRIE",
    "IE": "IRLANDE",
    "IS": "ISLANDE",
    "IT": "ITALIE",
    "LI": "LIECHTENSTEIN",
    "LT": "LITUANIE",
    "LU": "LUXEMBOURG",
    "LV": "LETTONIE",
    "MA": "MAROC",
    "MC": "MONACO",
    "MT": "MALTE",
    "NL": "PAYS BAS",
    "NO": "NORVEGE",
    "PL": "POLOGNE",
    "PT": "PORTUGAL",
    "RO": "ROUMANIE",
    "SE": "SUEDE",
    "SI": "SLOVENIE",
    "SK": "SLOVAQUIE",
    "SN": "SENEGAL",
    "TN": "TUNISIE",
    "US": "ETATS UNIS",
}


@lru_cache(maxsize=4096)
def _fold_non_ascii(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.upper().translate(_SPECIAL_LETTERS))
    return "".join(char for char in decomposed if not unicodedata.combining(char)).upper()


@lru_cache(maxsize=65536)
def postal_capitals(text: str) -> str:
    """Capitals without accents or punctuation, single spaces: the form lines 4 to 6 must take."""
    upper = text.upper() if text.isascii() else _fold_non_ascii(text)
    return " ".join(_NOT_ALNUM_ASCII.sub(" ", upper).split())


def _plain(text: str) -> str:
    return " ".join(text.split())


@dataclass
class BlockProblem:
    column: str
    code: str
    message: Message
    # The line comes from a required cell (the name): the row cannot be imported without it.
    is_required: bool = False


@dataclass
class AddressBlock:
    lines: list[str] = field(default_factory=list)
    problems: list[BlockProblem] = field(default_factory=list)


def _too_long(column: str, number: int, length: int, *, is_required: bool = False) -> BlockProblem:
    return BlockProblem(
        column,
        "address_too_long",
        _(
            "Address line %(number)s would be %(length)s characters even with the standard abbreviations; "
            "NF Z10-011 allows %(limit)s."
        )
        % {"number": number, "length": length, "limit": MAX_LINE_LENGTH},
        is_required,
    )


@lru_cache(maxsize=8192)
def _locality_line(postcode: str, city: str) -> str:
    return f"{postcode} {postal_capitals(city)}".strip()


def name_line(first_name: str, last_name: str) -> str:
    """Line 1: the first name, then the last name in capitals; the initial only when the whole cannot fit."""
    last = _plain(last_name).upper()
    first = _plain(first_name)
    full = f"{first} {last}".strip()
    if len(full) <= MAX_LINE_LENGTH or not first:
        return full
    return f"{first[0].upper()}. {last}"


@lru_cache(maxsize=8192)
def shorten(line: str) -> str:
    """Apply La Poste's standard abbreviations one at a time, street types first, until the line fits in 38."""
    if len(line) <= MAX_LINE_LENGTH:
        return line
    words = line.split(" ")
    folded = [postal_capitals(word) for word in words]
    for long_form, short in ABBREVIATIONS:
        size = len(long_form)
        position = 0
        while position < len(words):
            joined = " ".join(long_form)
            if tuple(folded[position : position + size]) == long_form:
                words[position : position + size] = [short]
                folded[position : position + size] = [short]
            elif size > 1 and folded[position] == joined:
                # A hyphenated word of lines 2 and 3 (Lieu-dit) is one word here.
                words[position] = folded[position] = short
            else:
                position += 1
                continue
            position += 1
            if len(" ".join(words)) <= MAX_LINE_LENGTH:
                return " ".join(words)
    return " ".join(words)


def build_block(
    *,
    first_name: str,
    last_name: str,
    address_1: str,
    address_2: str = "",
    address_3: str = "",
    postcode: str,
    city: str,
    country: str = "FR",
) -> AddressBlock:
    """Compute the NF Z10-011 block, abbreviating long lines, and report every line that still cannot fit."""
    name = name_line(first_name, last_name)
    # Line 2: inside the building (flat, floor, "chez"); line 3: outside (building, residence, entrance).
    inside = _plain(address_2) if address_2 else ""
    outside = _plain(address_3) if address_3 else ""
    # Art. of the norm: from line 4 on, capitals without punctuation.
    street = postal_capitals(address_1)
    locality = _locality_line(postcode, city)
    candidates: list[tuple[str, str]] = [(name, "last_name")]
    if inside:
        candidates.append((inside, "address_2"))
    if outside:
        candidates.append((outside, "address_3"))
    candidates.append((street, "address_1"))
    candidates.append((locality, "city"))
    if country != "FR":
        # International mail: the country, in capitals, is the last line.
        candidates.append((COUNTRY_NAMES.get(country, country), "country"))
    lines = [text for text, _column in candidates]
    if len(lines) <= MAX_LINES and max(map(len, lines)) <= MAX_LINE_LENGTH:
        # Almost every address fits: no line to shorten or blame.
        return AddressBlock(lines, [])
    # The name line has its own rule (initials); the others take the standard abbreviations.
    candidates = [(text if column == "last_name" else shorten(text), column) for text, column in candidates]
    block = AddressBlock([text for text, _column in candidates], [])
    for number, (text, column) in enumerate(candidates, start=1):
        if len(text) > MAX_LINE_LENGTH:
            block.problems.append(_too_long(column, number, len(text), is_required=column == "last_name"))
    if len(candidates) > MAX_LINES:
        block.problems.append(
            BlockProblem(
                "address_3",
                "address_too_many_lines",
                _("The address needs more than %(lines)s lines.") % {"lines": MAX_LINES},
            )
        )
    return block


def forget_personal_caches() -> None:
    """Empty the caches that hold people's values (names, address lines, towns) once an import is over.

    They make a lab file's repeated streets and towns cheap to format while it imports; kept afterwards, a worker's
    memory would hold the last file's values in clear for as long as it lives.
    """
    from breachdesk.crypto import normalise_unicode

    for cached in (_fold_non_ascii, postal_capitals, _locality_line, shorten, normalise_unicode):
        cached.cache_clear()
