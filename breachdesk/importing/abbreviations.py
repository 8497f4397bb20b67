"""La Poste's standard abbreviations, applied to an address line over 38 characters before it is called too long.

The list of DOMAIN.md section 6 (La Poste's list for address restructuring under NF Z10-011), as data: street types
first, then titles and words, each applied only while the line is still too long. Words are in the capitals without
accents of lines 4 to 6; a hyphenated word (LIEU-DIT) is read as its words (LIEU DIT).
"""

from __future__ import annotations

STREET_TYPES: dict[str, str] = {
    "AVENUE": "AV",
    "BOULEVARD": "BD",
    "CHEMIN": "CHE",
    "IMPASSE": "IMP",
    "PLACE": "PL",
    "QUAI": "QU",
    "ROUTE": "RTE",
    "ALLEE": "ALL",
    "RESIDENCE": "RES",
    "BATIMENT": "BAT",
    "APPARTEMENT": "APP",
    "ESCALIER": "ESC",
    "LIEU DIT": "LD",
    "FAUBOURG": "FG",
}

TITLES_AND_WORDS: dict[str, str] = {
    "GENERAL": "GAL",
    "COMMANDANT": "CDT",
    "CAPITAINE": "CNE",
    "LIEUTENANT": "LT",
    "MARECHAL": "MAL",
    "PRESIDENT": "PDT",
    "DOCTEUR": "DR",
    "PROFESSEUR": "PR",
    "SAINT": "ST",
    "SAINTE": "STE",
    "NOTRE DAME": "ND",
}

# In the order they are tried.
ABBREVIATIONS: tuple[tuple[tuple[str, ...], str], ...] = tuple(
    (tuple(words.split()), short) for words, short in (*STREET_TYPES.items(), *TITLES_AND_WORDS.items())
)
