"""Deterministic synthetic people and organisations for the demo, the tests and the benchmarks."""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta

from stdnum import luhn
from stdnum.fr import nir as nir_module

from breachdesk.models.subjects import PersonalData, Title

LAST_NAMES = [
    "Martin",
    "Bernard",
    "Le Gall",
    "Le Goff",
    "Thomas",
    "Petit",
    "Robert",
    "Richard",
    "Durand",
    "Dubois",
    "Moreau",
    "Laurent",
    "Simon",
    "Michel",
    "Lefèvre",
    "Le Roux",
    "Guillou",
    "Morvan",
    "Tanguy",
    "Le Bihan",
    "Hamon",
    "Jaouen",
    "Quéré",
    "Cadiou",
    "Le Floc'h",
    "Kerbrat",
    "Hervé",
    "Roué",
    "Prigent",
    "Le Corre",
    "Lemoine",
    "Marie",
    "Lebrun",
    "Leroux",
    "Gautier",
    "Jégou",
    "Bouvier",
    "Rolland",
    "Lebreton",
    "Pichon",
]
FIRST_NAMES_F = [
    "Marie",
    "Anne",
    "Nathalie",
    "Isabelle",
    "Sophie",
    "Élodie",
    "Camille",
    "Léa",
    "Chloé",
    "Maëlle",
    "Gwenaëlle",
    "Nolwenn",
    "Françoise",
    "Monique",
    "Jeanne",
    "Inès",
    "Manon",
    "Louise",
]
FIRST_NAMES_M = [
    "Jean",
    "Pierre",
    "Yann",
    "Erwan",
    "Loïc",
    "Gaël",
    "Nicolas",
    "Thomas",
    "François",
    "Michel",
    "Kévin",
    "Hervé",
    "Ronan",
    "Mathéo",
    "Lucas",
    "Hugo",
    "Jérôme",
    "Stéphane",
]
STREET_TYPES = ["rue", "avenue", "boulevard", "place", "allée", "impasse", "chemin", "quai"]
STREET_NAMES = [
    "de la Paix",
    "Jean Jaurès",
    "Victor Hugo",
    "du Général de Gaulle",
    "des Lilas",
    "de Brest",
    "Saint-Michel",
    "de la Mairie",
    "du Port",
    "Pasteur",
    "des Écoles",
    "de Verdun",
    "Anatole France",
    "du Château",
    "des Tilleuls",
    "de la Gare",
    "Sainte-Anne",
    "des Ajoncs",
    "de Kerlann",
    "Surcouf",
]
EXPOSURE_PROFILES: list[tuple[list[str], int]] = [
    (["identity", "contact"], 10),
    (["identity", "contact", "nir"], 15),
    (["identity", "contact", "nir", "insurance", "physician"], 20),
    (["identity", "contact", "nir", "blood_group", "test_results"], 20),
    (["identity", "contact", "nir", "health_comment", "treatment"], 12),
    (["identity", "contact", "nir", "pregnancy", "test_results"], 8),
    (["identity", "contact", "nir", "pathology", "treatment"], 8),
    (["identity", "contact", "nir", "hiv", "test_results"], 4),
    (["identity", "contact", "nir", "genetic", "pathology"], 3),
]


@dataclass(frozen=True)
class Place:
    city: str
    postcode: str
    department: str
    commune: str


@dataclass(frozen=True)
class Lab:
    code: str
    name: str
    place: Place
    dpo_first: str
    dpo_last: str


PLACES = [
    Place("Rennes", "35000", "35", "238"),
    Place("Brest", "29200", "29", "019"),
    Place("Quimper", "29000", "29", "232"),
    Place("Lorient", "56100", "56", "121"),
    Place("Vannes", "56000", "56", "260"),
    Place("Saint-Brieuc", "22000", "22", "278"),
    Place("Saint-Malo", "35400", "35", "288"),
    Place("Lannion", "22300", "22", "113"),
    Place("Morlaix", "29600", "29", "151"),
    Place("Caen", "14000", "14", "118"),
    Place("Rouen", "76000", "76", "540"),
    Place("Le Havre", "76600", "76", "351"),
    Place("Cherbourg-en-Cotentin", "50100", "50", "129"),
    Place("Alençon", "61000", "61", "001"),
    Place("Évreux", "27000", "27", "229"),
    Place("Laval", "53000", "53", "130"),
    Place("Le Mans", "72000", "72", "181"),
    Place("Angers", "49000", "49", "007"),
    Place("Nantes", "44000", "44", "109"),
    Place("Saint-Nazaire", "44600", "44", "184"),
    Place("La Roche-sur-Yon", "85000", "85", "191"),
    Place("Cholet", "49300", "49", "099"),
    Place("Fougères", "35300", "35", "115"),
    Place("Vitré", "35500", "35", "360"),
    Place("Dinan", "22100", "22", "050"),
    Place("Redon", "35600", "35", "236"),
    Place("Pontivy", "56300", "56", "178"),
]


def lab_code(place: Place) -> str:
    ascii_name = place.city.upper().replace("É", "E").replace("Ç", "C").replace(" ", "-").replace("'", "-")
    return f"LAB-{ascii_name}"[:40]


def siret_for(seed: int) -> str:
    """Return a valid 14-digit SIRET whose SIREN is also valid (both Luhn)."""
    siren_body = f"{(seed * 7919 + 31) % 10**8:08d}"
    siren = siren_body + luhn.calc_check_digit(siren_body)
    establishment = f"{(seed * 13 + 17) % 10**4:04d}"
    body = siren + establishment
    return body + luhn.calc_check_digit(body)


def nir_for(*, sex: int, birth: date, department: str, commune: str, order: int) -> str:
    """Build a valid 15-character NIR (2A/2B read as 19/18 by the key, per the CNAM rule)."""
    body = f"{sex}{birth.year % 100:02d}{birth.month:02d}{department}{commune}{order % 1000:03d}"
    return body + nir_module.calc_check_digits(body)


def birth_commune(place: Place, index: int) -> str:
    """The commune of birth: the lab's for its first thousand patients, then one more per thousand.

    With the order number taken from the index's last three digits, no two patients of one lab (index below a
    million, as the demo and the benchmarks number them) share a NIR, whatever their sex and month of birth.
    """
    block = (index % 1_000_000) // 1000
    return f"{(int(place.commune) - 1 + block) % 999 + 1:03d}"


# Adults only (born 1930-2001): the demo adds its minors on purpose, so a test never meets one by chance.
BIRTH_DAYS = 26_000
# Coprime with BIRTH_DAYS: the patients of one lab numbered 0 to 25,999 get as many different birth dates.
BIRTH_STRIDE = 7919


def birth_date_for(index: int) -> date:
    """The birth date of a lab's patient: no two of a lab's first 26,000 patients share it.

    Drawn at random, 18,216 patients (the 2021 case's labs) with 36 first names and 40 last names shared a name and
    birth date a few times per lab, and the import rightly warned of each as a possible duplicate in the file.
    """
    return date(1930, 1, 1) + timedelta(days=(index % 1_000_000) * BIRTH_STRIDE % BIRTH_DAYS)


def person(rng: random.Random, index: int, place: Place) -> tuple[PersonalData, list[str], str]:
    """Return one synthetic person's personal data, exposures and preferred language."""
    sex = rng.choice((1, 2))
    first = rng.choice(FIRST_NAMES_M if sex == 1 else FIRST_NAMES_F)
    last = rng.choice(LAST_NAMES)
    birth = birth_date_for(index)
    nir = nir_for(sex=sex, birth=birth, department=place.department, commune=birth_commune(place, index), order=index)
    number = rng.randrange(1, 180)
    street = f"{number} {rng.choice(STREET_TYPES)} {rng.choice(STREET_NAMES)}"
    has_email = rng.random() < 0.6
    has_address = rng.random() < 0.97
    slug = unicodedata.normalize("NFKD", f"{first}.{last}".lower()).encode("ascii", "ignore").decode()
    slug = slug.replace(" ", "").replace("'", "")
    email = f"{slug}.{index}@example.org" if has_email else ""
    exposures = rng.choices(
        [profile for profile, _ in EXPOSURE_PROFILES], weights=[weight for _, weight in EXPOSURE_PROFILES]
    )[0]
    personal = PersonalData(
        patient_ref=f"P{index:07d}",
        title=Title.MONSIEUR if sex == 1 else Title.MADAME,
        last_name=last,
        first_name=first,
        birth_date=birth,
        nir=nir,
        email=email,
        phone=f"+33 6 {rng.randrange(40, 89)} {rng.randrange(10, 99)} {rng.randrange(10, 99)} {rng.randrange(10, 99)}",
        address_1=street if has_address else "",
        postcode=place.postcode if has_address else "",
        city=place.city if has_address else "",
    )
    language = "en" if rng.random() < 0.03 else "fr"
    return personal, list(exposures), language
