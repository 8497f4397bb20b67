"""Rules of the import format: one row per data subject, checked cell by cell with a precise reason."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy
from stdnum.fr import nir as nir_module

from breachdesk.importing.address import build_block
from breachdesk.importing.indexes import Indexer
from breachdesk.importing.messages import Message
from breachdesk.importing.messages import deferred as _
from breachdesk.importing.report import Report
from breachdesk.models.subjects import AgeGroup, Title, age_group_on, is_postally_reachable
from breachdesk.taxonomy import EXPOSURES


@dataclass(frozen=True)
class Column:
    name: str
    is_required: bool
    description: StrOrPromise
    example: str


# The documented import format (docs/import-format.md and the downloadable template follow this list).
COLUMNS: tuple[Column, ...] = (
    Column(
        "patient_ref",
        True,
        gettext_lazy("The lab's own reference of the patient; unique within the breach file."),
        "P0012345",
    ),
    Column("last_name", True, gettext_lazy("Last name."), "Le Floc'h"),
    Column("first_name", True, gettext_lazy("First name."), "Gwenaëlle"),
    Column("birth_date", False, gettext_lazy("Birth date, YYYY-MM-DD or DD/MM/YYYY."), "12/07/1985"),
    Column(
        "nir",
        False,
        gettext_lazy("Social security number: 13 characters (key computed) or 15, spaces allowed, 2A/2B."),
        "",
    ),
    Column("email", False, gettext_lazy("Email address."), "gwen@example.org"),
    Column(
        "phone",
        False,
        gettext_lazy("Phone number; national numbers are read in the subject's country (France by default)."),
        "",
    ),
    Column("address_1", False, gettext_lazy("Number and street (line 4 of the postal block)."), "12 rue de la Paix"),
    Column("address_2", False, gettext_lazy("Inside the building: flat, floor, 'chez' (line 2)."), "Appartement 12"),
    Column(
        "address_3",
        False,
        gettext_lazy("Outside the building: building, residence, entrance (line 3)."),
        "Résidence Les Pins",
    ),
    Column("postcode", False, gettext_lazy("Postcode: 5 digits in France."), "35000"),
    Column("city", False, gettext_lazy("Locality (with CEDEX when there is one)."), "Rennes"),
    Column("country", False, gettext_lazy("ISO 3166 two-letter country code; FR when empty."), "FR"),
    Column("language", False, gettext_lazy("Language of the letter: fr or en; fr when empty."), "fr"),
    Column(
        "exposed",
        True,
        gettext_lazy("Exposure codes separated by |, e.g. identity|contact|nir|test_results."),
        "identity|nir",
    ),
    Column(
        "title",
        False,
        gettext_lazy(
            "How the letter greets the person: Mme or M. (Madame, Monsieur, Mrs, Ms, Mr); empty when unknown."
        ),
        "Mme",
    ),
    Column(
        "confidential_care",
        False,
        gettext_lazy(
            "yes for a minor whose care is kept confidential from the parents (CSP L.1111-5): the minor is told "
            "personally, with the data categories only; empty or no otherwise."
        ),
        "",
    ),
)
COLUMN_NAMES = tuple(column.name for column in COLUMNS)
REQUIRED_COLUMNS = tuple(column.name for column in COLUMNS if column.is_required)

MAX_CELL_LENGTH = 200
MAX_NAME_LENGTH = 100
MAX_PATIENT_REF_LENGTH = 64
LANGUAGES = ("fr", "en")
TITLES = {
    "mme": Title.MADAME,
    "madame": Title.MADAME,
    "mrs": Title.MADAME,
    "ms": Title.MADAME,
    "m": Title.MONSIEUR,
    "monsieur": Title.MONSIEUR,
    "mr": Title.MONSIEUR,
}
YES_NO = {"yes": True, "oui": True, "1": True, "true": True, "no": False, "non": False, "0": False, "false": False}
COUNTRIES = frozenset(phonenumbers.SUPPORTED_REGIONS) | {"FR"}
# Optional cells whose problem sets the cell aside with a warning instead of rejecting the file: the person is still
# identified and told through what remains (no valid email: a letter; no usable address: the address to review).
SET_ASIDE_COLUMNS = frozenset(("email", "phone", "address_1", "address_2", "address_3", "postcode", "city", "title"))
ADDRESS_COLUMNS = ("address_1", "address_2", "address_3", "postcode", "city")
EARLIEST_BIRTH_YEAR = 1880
StrOrPromise = str | Promise

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$", re.ASCII)
_FRENCH_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$", re.ASCII)
_NIR_SEPARATORS = re.compile(r"[\s.\u00a0\u202f]+")
# Sex 1/2 (3/4 and 7/8: temporary numbers), year, month (any: 20-42 and 50+ exist), department (2A/2B).
_NIR_SHAPE = re.compile(r"^[1-478]\d{4}(?:\d{2}|2[AB])\d{6}(?:\d{2})?$", re.ASCII)
_SCIENTIFIC = re.compile(r"^\d+(?:[.,]\d+)?E\+?\d+$", re.IGNORECASE | re.ASCII)
_FRENCH_POSTCODE = re.compile(r"^\d{5}$", re.ASCII)
_FOREIGN_POSTCODE = re.compile(r"^[A-Z0-9][A-Z0-9 \-]{0,9}$")
# Addresses that Django's validator accepts too; anything else goes through Django's validator.
_SIMPLE_EMAIL = re.compile(
    r"^[a-z0-9_%+\-]+(?:\.[a-z0-9_%+\-]+)*@(?:[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$",
    re.IGNORECASE | re.ASCII,
)
_FRENCH_PHONE = re.compile(r"^(?:\+33|0033|0)\s*(?:\(0\)\s*)?([1-9](?:[ .\-]?\d){8})$", re.ASCII)
_PHONE_SEPARATORS = re.compile(r"[ .\-]")


def _french_valid_number_pattern() -> re.Pattern[str]:
    """The national numbers phonenumbers holds valid for France, from its own metadata."""
    metadata = phonenumbers.PhoneMetadata.metadata_for_region("FR")
    assert metadata is not None
    kinds = (
        "premium_rate",
        "toll_free",
        "shared_cost",
        "voip",
        "personal_number",
        "pager",
        "uan",
        "voicemail",
        "fixed_line",
        "mobile",
    )
    patterns = [
        description.national_number_pattern
        for kind in kinds
        if (description := getattr(metadata, kind)) is not None and description.national_number_pattern
    ]
    return re.compile("(?:" + "|".join(f"(?:{pattern})" for pattern in patterns) + ")", re.ASCII)


_FRENCH_VALID_NUMBER = _french_valid_number_pattern()
EXPOSURE_LIST = ", ".join(EXPOSURES)


class CellError(ValueError):
    """A cell breaks a rule; the message names the rule, never the value."""

    def __init__(self, code: str, message: Message) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def clean_nir(value: str) -> str:
    """Return the 15-character NIR, computing the key of a 13-character one; CellError otherwise."""
    # Digits only (most NIRs): nothing to strip, and no scientific notation.
    is_digits = value.isdigit() and value.isascii()
    compact = value if is_digits else _NIR_SEPARATORS.sub("", value).upper()
    if not is_digits and _SCIENTIFIC.match(compact):
        raise CellError(
            "nir_scientific_notation",
            _(
                "The NIR was written as a number in scientific notation, so digits were lost: "
                "format the column as text in the spreadsheet and export again."
            ),
        )
    if len(compact) not in (13, 15):
        raise CellError(
            "nir_length",
            _("A NIR has 13 or 15 characters (spaces aside); this one has %(length)s.") % {"length": len(compact)},
        )
    if not _NIR_SHAPE.match(compact):
        raise CellError(
            "nir_format",
            _("A NIR is digits only (department 2A or 2B aside), starting with 1, 2, 3, 4, 7 or 8."),
        )
    key = nir_module.calc_check_digits(compact[:13])
    if len(compact) == 13:
        return compact + key
    if compact[13:] != key:
        raise CellError("nir_key", _("The NIR key (last 2 digits) does not match the first 13 characters."))
    return compact


def parse_date(value: str) -> date:
    """Read YYYY-MM-DD or DD/MM/YYYY."""
    if len(value) == 10 and value[2] == "/" == value[5] and value.isascii():
        # DD/MM/YYYY with two-digit day and month, what French spreadsheets export: no pattern to run.
        day_text, month_text, year_text = value[:2], value[3:5], value[6:]
        if day_text.isdigit() and month_text.isdigit() and year_text.isdigit():
            try:
                return date(int(year_text), int(month_text), int(day_text))
            except ValueError:
                raise CellError("date_invalid", _("This date does not exist.")) from None
    match = _ISO_DATE.match(value)
    if match:
        year, month, day = map(int, match.groups())
    else:
        match = _FRENCH_DATE.match(value)
        if not match:
            raise CellError("date_format", _("Write dates as YYYY-MM-DD or DD/MM/YYYY."))
        day, month, year = map(int, match.groups())
    try:
        return date(year, month, day)
    except ValueError:
        raise CellError("date_invalid", _("This date does not exist.")) from None


def clean_email(value: str) -> str:
    if len(value) > 254:
        raise CellError("email_invalid", _("This is not a valid email address (too long)."))
    if not _SIMPLE_EMAIL.match(value):
        try:
            validate_email(value)
        except ValidationError:
            raise CellError("email_invalid", _("This is not a valid email address.")) from None
    local, _at, domain = value.rpartition("@")
    return f"{local}@{domain.lower()}"


def clean_phone(value: str, country: str) -> str:
    """Return the number in E.164; national numbers are read in the subject's country."""
    match = _FRENCH_PHONE.match(value) if country == "FR" or value.startswith(("+33", "0033")) else None
    if match:
        national = _PHONE_SEPARATORS.sub("", match.group(1))
        if _FRENCH_VALID_NUMBER.fullmatch(national):
            return "+33" + national
        raise CellError("phone_invalid", _("This is not a valid phone number."))
    try:
        number = phonenumbers.parse(value, country if country in phonenumbers.SUPPORTED_REGIONS else "FR")
    except phonenumbers.NumberParseException:
        raise CellError("phone_invalid", _("This is not a phone number.")) from None
    if not phonenumbers.is_valid_number(number):
        raise CellError("phone_invalid", _("This is not a valid phone number."))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@lru_cache(maxsize=256)
def parse_exposures(value: str) -> tuple[str, ...]:
    """Split exposure codes on |; CellError names the position of an unknown code, not the code."""
    codes: list[str] = []
    parts = value.split("|")
    for position, part in enumerate(parts, start=1):
        code = part.strip().lower()
        if not code:
            continue
        if code not in EXPOSURES:
            raise CellError(
                "exposure_unknown",
                _("Exposure code %(position)s of %(count)s is not a known code; known codes: %(codes)s.")
                % {"position": position, "count": len(parts), "codes": EXPOSURE_LIST},
            )
        if code not in codes:
            codes.append(code)
    if not codes:
        raise CellError("required", _("Give at least one exposure code."))
    return tuple(codes)


@dataclass(slots=True)
class ValidSubject:
    """A row that passed every rule: what storage needs, personal data as the JSON the model encrypts."""

    line: int
    personal: dict[str, object]
    exposures: tuple[str, ...]
    country: str
    language: str
    has_postal_address: bool
    # An address was given that cannot be printed as it is: stored, kept out of letters until corrected.
    address_needs_review: bool
    has_email: bool
    age_group: str
    has_confidential_care: bool
    patient_ref_index: str
    nir_index: str | None
    email_index: str | None
    identity_index: str | None
    last_name_index: str | None = None
    full_name_index: str | None = None
    postcode_index: str | None = None

    @property
    def is_reachable(self) -> bool:
        return self.has_postal_address or self.has_email


class RowValidator:
    """Validate rows against one header; findings go to the report with the line and column."""

    def __init__(self, header: list[str], report: Report, *, header_line: int = 1, today: date | None = None) -> None:
        from breachdesk.importing.reader import normalise_column

        self.report = report
        self.indexer = Indexer()
        self.today = today or timezone.localdate()
        self.positions: dict[str, int] = {}
        self.is_usable = True
        # A file without a header row puts a patient in this row: when no cell names a known column, unknown
        # columns are named by their position only, so the report never repeats a patient's data.
        is_header = any(normalise_column(raw) in COLUMN_NAMES for raw in header)
        for position, raw in enumerate(header):
            name = normalise_column(raw)
            where = raw if is_header else f"column {position + 1}"
            if not name:
                if raw.strip():
                    report.warning(header_line, where, "column_unknown", _("Unknown column: ignored."))
                continue
            if name in self.positions:
                report.error(header_line, name, "column_repeated", _("This column appears twice in the header."))
                self.is_usable = False
            elif name in COLUMN_NAMES:
                self.positions[name] = position
            else:
                report.warning(
                    header_line,
                    where,
                    "column_unknown",
                    _("Unknown column: ignored. Known columns: %(columns)s.") % {"columns": ", ".join(COLUMN_NAMES)},
                )
        for name in REQUIRED_COLUMNS:
            if name not in self.positions:
                report.error(header_line, name, "column_missing", _("This required column is missing from the header."))
                self.is_usable = False
        self.width = len(header)
        self._slots = tuple(self.positions.items())
        self._empty = dict.fromkeys(COLUMN_NAMES, "")

    def _cells(self, cells: list[str]) -> dict[str, str]:
        """Every known column's cell, trimmed, inner spaces collapsed; empty when absent."""
        values = self._empty.copy()
        count = len(cells)
        for name, position in self._slots:
            if position < count and (cell := cells[position]):
                # A cell of letters and digits only holds no space to trim or collapse (most names, codes, cities).
                values[name] = cell if cell.isalnum() else " ".join(cell.split())
        return values

    def _blame(self, line: int, column: str, code: str, problem: Message) -> None:
        """Report a broken cell: an error, or a warning when the cell can be set aside and the person kept."""
        if column in SET_ASIDE_COLUMNS:
            self.report.warning(
                line,
                column,
                code,
                _("%(problem)s The cell is set aside: the person is imported without it.") % {"problem": problem},
            )
        else:
            self.report.error(line, column, code, problem)

    def validate(self, line: int, cells: list[str]) -> ValidSubject | None:
        """Return the subject of a valid row; None after reporting every broken rule of the row."""
        report = self.report
        errors_before = report.error_count
        if len(cells) > self.width and any(cell.strip() for cell in cells[self.width :]):
            report.error(
                line,
                "",
                "extra_cells",
                _("This row has %(cells)s cells; the header has %(width)s.")
                % {"cells": len(cells), "width": self.width},
            )
        values = self._cells(cells)
        # Before any cell is set aside: an address given, even unusable, is an address to review, not no address.
        address_given = any(values[name] for name in ADDRESS_COLUMNS)
        blamed: set[str] = set()
        # One look at the whole row first: almost every row has no long cell and no control character (and a row
        # shorter than the limit cannot hold a longer cell).
        joined = "".join(values.values())
        if (len(joined) > MAX_CELL_LENGTH and max(map(len, values.values())) > MAX_CELL_LENGTH) or _CONTROL.search(
            joined
        ):
            for name, value in values.items():
                if len(value) > MAX_CELL_LENGTH:
                    too_long = _("At most %(limit)s characters.") % {"limit": MAX_CELL_LENGTH}
                    self._blame(line, name, "too_long", too_long)
                    values[name] = ""
                    blamed.add(name)
                elif _CONTROL.search(value):
                    self._blame(line, name, "control_character", _("This cell holds a control character."))
                    values[name] = ""
                    blamed.add(name)

        patient_ref = values["patient_ref"]
        last_name = values["last_name"]
        first_name = values["first_name"]
        for name, value, limit in (
            ("patient_ref", patient_ref, MAX_PATIENT_REF_LENGTH),
            ("last_name", last_name, MAX_NAME_LENGTH),
            ("first_name", first_name, MAX_NAME_LENGTH),
        ):
            if not value:
                if name not in blamed:
                    report.error(line, name, "required", _("This cell is required."))
            elif len(value) > limit:
                report.error(line, name, "too_long", _("At most %(limit)s characters.") % {"limit": limit})
        indexer = self.indexer
        patient_ref_index = indexer.index_of(b"patient_ref\x00", patient_ref)
        if patient_ref and patient_ref_index is None:
            report.error(line, "patient_ref", "patient_ref_invalid", _("The reference holds no letter or digit."))

        country = (values.get("country") or "FR").upper()
        if country not in COUNTRIES:
            report.error(line, "country", "country_invalid", _("Use an ISO 3166 two-letter country code, e.g. FR, BE."))
            country = "FR"
        language = (values.get("language") or "fr").lower()
        if language not in LANGUAGES:
            report.error(line, "language", "language_invalid", _("The language is fr or en."))
            language = "fr"

        birth_date: date | None = None
        if raw_birth := values.get("birth_date", ""):
            try:
                birth_date = parse_date(raw_birth)
                if birth_date > self.today:
                    raise CellError("date_in_future", _("The birth date is in the future."))
                if birth_date.year < EARLIEST_BIRTH_YEAR:
                    raise CellError(
                        "date_too_old", _("The birth date is before %(year)s.") % {"year": EARLIEST_BIRTH_YEAR}
                    )
            except CellError as error:
                report.error(line, "birth_date", error.code, error.message)
                birth_date = None

        title = ""
        if raw_title := values.get("title", ""):
            title = TITLES.get(raw_title.strip().lower().rstrip("."), "")
            if not title:
                self._blame(line, "title", "title_invalid", _("Write Mme or M. (or leave the cell empty)."))

        has_confidential_care = False
        if raw_care := values.get("confidential_care", ""):
            answer = YES_NO.get(raw_care.strip().lower())
            if answer is None:
                report.error(line, "confidential_care", "yes_no_invalid", _("Write yes or no (oui or non)."))
            else:
                has_confidential_care = answer

        nir = ""
        if raw_nir := values.get("nir", ""):
            try:
                nir = clean_nir(raw_nir)
            except CellError as error:
                report.error(line, "nir", error.code, error.message)

        email = ""
        if raw_email := values.get("email", ""):
            try:
                email = clean_email(raw_email)
            except CellError as error:
                self._blame(line, "email", error.code, error.message)

        phone = ""
        if raw_phone := values.get("phone", ""):
            try:
                phone = clean_phone(raw_phone, country)
            except CellError as error:
                self._blame(line, "phone", error.code, error.message)

        exposures: tuple[str, ...] = ()
        raw_exposed = values["exposed"]
        if not raw_exposed and "exposed" in blamed:
            pass
        elif not raw_exposed:
            report.error(line, "exposed", "required", _("This cell is required: give at least one exposure code."))
        else:
            try:
                exposures = parse_exposures(raw_exposed)
            except CellError as error:
                report.error(line, "exposed", error.code, error.message)

        address_1 = values.get("address_1", "")
        address_2 = values.get("address_2", "")
        address_3 = values.get("address_3", "")
        city = values.get("city", "")
        postcode = values.get("postcode", "").upper()
        if postcode:
            if country == "FR":
                postcode = postcode.replace(" ", "")
                if len(postcode) == 4 and postcode.isdigit():
                    postcode = "0" + postcode
                    report.warning(
                        line,
                        "postcode",
                        "postcode_leading_zero",
                        _("The postcode had 4 digits: read with a leading 0 (spreadsheets drop it)."),
                    )
                if not _FRENCH_POSTCODE.match(postcode) or postcode < "01000":
                    self._blame(line, "postcode", "postcode_invalid", _("A French postcode has 5 digits."))
                    postcode = ""
            elif not _FOREIGN_POSTCODE.match(postcode):
                self._blame(line, "postcode", "postcode_invalid", _("This postcode holds unexpected characters."))
                postcode = ""
        has_postal_address = is_postally_reachable(address_1=address_1, postcode=postcode, city=city)
        address_needs_review = False
        review_column = ""
        address_block: list[str] = []
        if blamed and (set_aside := [name for name in ADDRESS_COLUMNS if name in blamed]):
            # A line of the address was set aside (too long a cell, a control character): the letter could go astray.
            address_needs_review = True
            review_column = set_aside[0]
        elif has_postal_address:
            block = build_block(
                first_name=first_name,
                last_name=last_name,
                address_1=address_1,
                address_2=address_2,
                address_3=address_3,
                postcode=postcode,
                city=city,
                country=country,
            )
            for problem in block.problems:
                if problem.is_required:
                    report.error(line, problem.column, problem.code, problem.message)
                else:
                    report.warning(line, problem.column, problem.code, problem.message)
            if any(not problem.is_required for problem in block.problems):
                address_needs_review = True
                review_column = next(problem.column for problem in block.problems if not problem.is_required)
            else:
                address_block = block.lines
        elif address_given:
            missing = [
                name for name, value in (("address_1", address_1), ("postcode", postcode), ("city", city)) if not value
            ]
            report.warning(
                line,
                missing[0],
                "address_incomplete",
                _("The postal address lacks %(missing)s.") % {"missing": ", ".join(missing)},
            )
            address_needs_review = True
            review_column = missing[0]
        if address_needs_review:
            has_postal_address = False
            report.warning(
                line,
                review_column,
                "address_to_review",
                _(
                    "The postal address cannot be used as given: the person is imported with the address to review "
                    "and gets no letter until it is corrected."
                ),
            )

        if report.error_count != errors_before:
            return None
        birth_text = birth_date.isoformat() if birth_date else ""
        has_email = bool(email)
        age_group = age_group_on(birth_date, self.today)
        if has_confidential_care and age_group == AgeGroup.ADULT:
            report.warning(
                line,
                "confidential_care",
                "confidential_care_adult",
                _("Confidential care concerns minors: this adult is told as any adult."),
            )
        personal: dict[str, object] = {
            "patient_ref": patient_ref,
            "title": title,
            "last_name": last_name,
            "first_name": first_name,
            "birth_date": birth_text,
            "nir": nir,
            "email": email,
            "phone": phone,
            "address_1": address_1,
            "address_2": address_2,
            "address_3": address_3,
            "postcode": postcode,
            "city": city,
            "address_block": address_block,
            "exposures": list(exposures),
        }
        if not (has_postal_address or has_email or address_needs_review):
            report.warning(
                line,
                "",
                "unreachable",
                _(
                    "No usable postal address nor email: imported and flagged unreachable "
                    "(it counts towards a public communication, Art. 34(3)(c))."
                ),
            )
        assert patient_ref_index is not None
        return ValidSubject(
            line=line,
            personal=personal,
            exposures=exposures,
            country=country,
            language=language,
            has_postal_address=has_postal_address,
            address_needs_review=address_needs_review,
            has_email=has_email,
            age_group=age_group,
            has_confidential_care=has_confidential_care,
            patient_ref_index=patient_ref_index,
            nir_index=indexer.index_of(b"nir\x00", nir),
            email_index=indexer.index_of(b"email\x00", email),
            identity_index=indexer.identity_index(last_name, first_name, birth_text),
            last_name_index=indexer.index_of(b"last_name\x00", last_name),
            full_name_index=indexer.pair_index(b"full_name\x00", last_name, first_name),
            postcode_index=indexer.index_of(b"postcode\x00", postcode),
        )
