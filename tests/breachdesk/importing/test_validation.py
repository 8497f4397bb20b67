from __future__ import annotations

import re
import unicodedata
from datetime import date

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.fr import nir as stdnum_nir

from breachdesk import crypto
from breachdesk.importing.address import MAX_LINE_LENGTH, build_block, postal_capitals
from breachdesk.importing.indexes import Indexer
from breachdesk.importing.report import Report
from breachdesk.importing.validation import (
    CellError,
    RowValidator,
    clean_email,
    clean_nir,
    clean_phone,
    parse_date,
    parse_exposures,
)
from tests.breachdesk.importing.conftest import HEADER, subject_row

# Departments as the NIR writes them: metropolitan, Corsica, overseas (97x: 3 digits, 2-digit commune), abroad.
departments = st.one_of(
    st.sampled_from(["01", "19", "29", "35", "75", "95", "2A", "2B", "99"]),
    st.sampled_from(["971", "972", "973", "974", "976"]),
)
# Usual months, and the unusual ones the CNAM issues (20-42 when unknown or fictitious, 50+ for some registrations).
months = st.one_of(st.integers(1, 12), st.integers(20, 42), st.integers(50, 99))


@st.composite
def valid_nirs(draw: st.DrawFn) -> str:
    sex = draw(st.sampled_from("12"))
    year = draw(st.integers(0, 99))
    month = draw(months)
    department = draw(departments)
    place = draw(st.integers(0, 10 ** (8 - len(department)) - 1))
    body = f"{sex}{year:02d}{month:02d}{department}{place:0{8 - len(department)}d}"
    assert len(body) == 13
    return body + stdnum_nir.calc_check_digits(body)


@settings(max_examples=300, deadline=None)
@given(valid_nirs())
def test_a_valid_nir_is_accepted_and_every_one_digit_change_is_rejected(nir: str):
    assert clean_nir(nir) == nir
    assert clean_nir(nir[:13]) == nir, "13 characters: the key is computed"
    spaced = f"{nir[0]} {nir[1:3]} {nir[3:5]} {nir[5:7]} {nir[7:10]} {nir[10:13]} {nir[13:]}"
    assert clean_nir(spaced) == nir
    for position, character in enumerate(nir):
        if not character.isdigit():
            continue
        for digit in "0123456789":
            if digit == character:
                continue
            changed = nir[:position] + digit + nir[position + 1 :]
            with pytest.raises(CellError):
                clean_nir(changed)


def test_corsican_departments_are_read_as_19_and_18_by_the_key():
    assert clean_nir("253072B07300470") == "253072B07300470"
    assert clean_nir("253072A07300443") == "253072A07300443"
    assert clean_nir("2 53 07 2a 073 004 43") == "253072A07300443"


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("295109912611199", "nir_key"),
        ("29510991261", "nir_length"),
        ("2951099126111930", "nir_length"),
        ("253072C07300443", "nir_format"),
        ("595109912611193", "nir_format"),
        ("2,95109E+14", "nir_scientific_notation"),
        ("2.95109E+14", "nir_scientific_notation"),
    ],
)
def test_a_broken_nir_gets_a_precise_reason(value: str, code: str):
    with pytest.raises(CellError) as error:
        clean_nir(value)
    assert error.value.code == code
    assert value not in error.value.message


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1985-07-12", date(1985, 7, 12)), ("12/07/1985", date(1985, 7, 12)), ("2/7/1985", date(1985, 7, 2))],
)
def test_dates_are_read_in_iso_or_french_order(value: str, expected: date):
    assert parse_date(value) == expected


def _date_by_the_patterns(value: str) -> date | str:
    """parse_date's rule written only with its two patterns: a date, or the code of the refusal."""
    match = re.match(r"^(\d{4})-(\d{2})-(\d{2})$", value, re.ASCII)
    if match:
        year, month, day = map(int, match.groups())
    elif match := re.match(r"^(\d{1,2})/(\d{1,2})/(\d{4})$", value, re.ASCII):
        day, month, year = map(int, match.groups())
    else:
        return "date_format"
    try:
        return date(year, month, day)
    except ValueError:
        return "date_invalid"


_DATE_CHARACTERS = st.sampled_from([*"0123456789/- a", "\u00b2", "\u0661"])


@settings(max_examples=500, deadline=None)
@given(
    st.lists(_DATE_CHARACTERS, min_size=8, max_size=11).map("".join)
    | st.dates().map(lambda day: day.strftime("%d/%m/%Y"))
    # Any digits, Unicode ones included, in the DD/MM/YYYY shape: impossible dates too.
    | st.from_regex(r"\A\d\d/\d\d/\d{4}\Z")
)
def test_the_fast_french_date_path_reads_what_the_patterns_read(value: str):
    try:
        outcome: date | str = parse_date(value)
    except CellError as error:
        outcome = error.code
    assert outcome == _date_by_the_patterns(value)


@pytest.mark.parametrize(("value", "code"), [("1985/07/12", "date_format"), ("31/02/1985", "date_invalid")])
def test_impossible_or_unknown_dates_are_refused(value: str, code: str):
    with pytest.raises(CellError) as error:
        parse_date(value)
    assert error.value.code == code


@pytest.mark.parametrize(
    "value",
    [
        "02 99 45 12 34",
        "0299451234",
        "02.99.45.12.34",
        "+33 2 99 45 12 34",
        "+33 (0)2 99 45 12 34",
        "0033 6 12 34 56 78",
        "06-12-34-56-78",
        "+33 2 62 19 58 28",
        "01 00 00 00 00",
        "09 12 34 56 78",
        "08 00 12 34 56",
        "+32 2 555 12 34",
        "299451234",
    ],
)
def test_the_fast_french_phone_path_agrees_with_phonenumbers(value: str):
    number = phonenumbers.parse(value, "FR")
    expected = (
        phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        if phonenumbers.is_valid_number(number)
        else None
    )
    try:
        got: str | None = clean_phone(value, "FR")
    except CellError:
        got = None
    assert got == expected


@settings(max_examples=500, deadline=None)
@given(st.from_regex(r"\A0[1-9]( ?\d\d){4}\Z"))
def test_any_french_national_number_is_judged_as_phonenumbers_judges_it(value: str):
    number = phonenumbers.parse(value, "FR")
    expected = phonenumbers.is_valid_number(number)
    try:
        clean_phone(value, "FR")
        got = True
    except CellError:
        got = False
    assert got == expected


def test_a_foreign_subject_phone_is_read_in_its_country():
    assert clean_phone("02 555 12 34", "BE") == "+3225551234"


@pytest.mark.parametrize("value", ["a@b.fr", "jean.dupont+lab@example.org", "x@sub.example.co.uk", "JEAN@EXAMPLE.ORG"])
def test_valid_emails_are_accepted(value: str):
    assert clean_email(value).lower() == value.lower()


@pytest.mark.parametrize(
    "value", ["jean", "jean@", "@example.org", "jean@@example.org", "jean dupont@x.fr", "a..b@x.fr"]
)
def test_invalid_emails_are_refused(value: str):
    with pytest.raises(CellError):
        clean_email(value)


def test_exposure_codes_are_split_on_pipes_trimmed_lowercased_and_deduplicated():
    assert parse_exposures(" Identity | NIR|nir||hiv ") == ("identity", "nir", "hiv")


def test_an_unknown_exposure_code_is_named_by_position_not_by_value():
    with pytest.raises(CellError) as error:
        parse_exposures("identity|cancer du sein")
    assert error.value.code == "exposure_unknown"
    assert "cancer" not in error.value.message
    assert "n° 2 sur 2" in error.value.message


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(max_size=30), min_size=1, max_size=3))
def test_the_fast_normalisation_of_blind_indexes_equals_its_definition(parts: list[str]):
    def by_definition(value: str) -> str:
        decomposed = unicodedata.normalize("NFKD", value.casefold())
        return "".join(char for char in decomposed if char.isalnum())

    assert [crypto.normalise(part) for part in parts] == [by_definition(part) for part in parts]
    if len(parts) == 3:
        assert Indexer().identity_index(*parts) == crypto.blind_index("identity", *parts)


def validate(row: dict[str, str], header: tuple[str, ...] = HEADER) -> tuple[object, Report]:
    report = Report()
    validator = RowValidator(list(header), report)
    return validator.validate(2, [row.get(column, "") for column in header]), report


def codes(report: Report) -> set[tuple[str, str]]:
    return {(entry.column, entry.code) for entry in report.entries}


def test_a_complete_row_is_valid_and_computes_the_postal_block():
    subject, report = validate(subject_row(1, address_1="12, rue de l'Église", city="Saint-Malo", postcode="35400"))
    assert not report.has_errors
    assert subject is not None
    block = subject.personal["address_block"]
    assert block[-2:] == ["12 RUE DE L EGLISE", "35400 SAINT MALO"]
    assert subject.has_postal_address and subject.has_email


def test_required_cells_are_reported_one_by_one():
    _subject, report = validate(subject_row(1, patient_ref="", last_name="", first_name=" ", exposed=""))
    assert {("patient_ref", "required"), ("last_name", "required"), ("first_name", "required")} <= codes(report)
    assert ("exposed", "required") in codes(report)


def test_a_subject_with_neither_address_nor_email_is_valid_but_unreachable():
    row = subject_row(1, email="", address_1="", postcode="", city="")
    subject, report = validate(row)
    assert subject is not None and not subject.is_reachable
    assert ("", "unreachable") in codes(report)
    assert not report.has_errors


def test_an_incomplete_address_is_not_usable_for_post_and_says_what_is_missing():
    subject, report = validate(subject_row(1, city=""))
    assert subject is not None and not subject.has_postal_address and subject.has_email
    entry = next(entry for entry in report.entries if entry.code == "address_incomplete")
    assert "city" in entry.message


def test_a_french_postcode_has_five_digits_and_a_lost_leading_zero_is_restored():
    _subject, report = validate(subject_row(1, postcode="3500"))
    assert ("postcode", "postcode_leading_zero") in codes(report)
    subject, report = validate(subject_row(1, postcode="1000", city="Bourg-en-Bresse"))
    assert subject is not None and subject.personal["postcode"] == "01000"
    _subject, report = validate(subject_row(1, postcode="350000"))
    assert ("postcode", "postcode_invalid") in codes(report)
    _subject, report = validate(subject_row(1, postcode="ABCDE"))
    assert ("postcode", "postcode_invalid") in codes(report)


def test_a_foreign_address_ends_with_the_country_in_capitals():
    row = subject_row(1, country="BE", postcode="1000", city="Bruxelles", phone="")
    subject, report = validate(row)
    assert not report.has_errors, report.entries
    assert subject is not None and subject.personal["address_block"][-1] == "BELGIQUE"


def test_unknown_country_and_language_are_refused():
    _subject, report = validate(subject_row(1, country="XX", language="de"))
    assert {("country", "country_invalid"), ("language", "language_invalid")} <= codes(report)


def test_an_overlong_street_is_reported_on_its_column_without_its_value():
    street = "123 boulevard du Maréchal Jean Marie de Lattre de Tassigny prolongé"
    _subject, report = validate(subject_row(1, address_1=street))
    entry = next(entry for entry in report.entries if entry.code == "address_too_long")
    assert entry.column == "address_1"
    assert "Tassigny" not in entry.message


def test_unknown_columns_are_reported_and_missing_required_ones_make_the_file_unusable():
    report = Report()
    validator = RowValidator(["Patient_Ref", "LAST NAME", "first-name", "comment"], report)
    assert not validator.is_usable
    assert ("comment", "column_unknown") in codes(report)
    assert ("exposed", "column_missing") in codes(report)
    assert "last_name" in validator.positions and "first_name" in validator.positions


def test_a_birth_date_in_the_future_is_refused():
    _subject, report = validate(subject_row(1, birth_date="01/01/2999"))
    assert ("birth_date", "date_in_future") in codes(report)


def test_control_characters_are_refused_and_line_breaks_in_cells_become_spaces():
    _subject, report = validate(subject_row(1, last_name="Dupont\x07"))
    assert ("last_name", "control_character") in codes(report)
    subject, report = validate(subject_row(1, address_1="12 rue\nde la Paix"))
    assert subject is not None and subject.personal["address_1"] == "12 rue de la Paix"


def test_the_block_puts_the_name_first_the_street_fourth_and_the_locality_last():
    block = build_block(
        first_name="Gwenaëlle",
        last_name="Le Floc'h",
        address_1="4 bis, allée des Ajoncs",
        address_2="Appartement 12, 3e étage",
        address_3="Résidence Les Pins",
        postcode="29200",
        city="Brest Cedex 2",
    )
    assert block.lines == [
        "Gwenaëlle LE FLOC'H",
        "Appartement 12, 3e étage",
        "Résidence Les Pins",
        "4 BIS ALLEE DES AJONCS",
        "29200 BREST CEDEX 2",
    ]
    assert not block.problems
    assert all(len(line) <= MAX_LINE_LENGTH for line in block.lines)


def test_a_long_first_name_shrinks_to_its_initial_before_the_name_is_refused():
    block = build_block(
        first_name="Marie-Gwenaëlle-Françoise",
        last_name="de La Tour d'Auvergne-Lauraguais",
        address_1="1 rue X",
        postcode="35000",
        city="Rennes",
    )
    assert block.lines[0] == "M. DE LA TOUR D'AUVERGNE-LAURAGUAIS"


def test_postal_capitals_drop_accents_ligatures_and_punctuation():
    assert postal_capitals("Cœur-de-l'Île, ß") == "COEUR DE L ILE SS"


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["patient_ref", "nir", "email"]), st.text(max_size=30))
def test_the_single_value_index_equals_the_models_blind_index(purpose: str, value: str):
    from breachdesk.importing.indexes import Indexer

    assert Indexer().index_of(purpose.encode() + b"\x00", value) == crypto.blind_index(purpose, value)


@settings(max_examples=200, deadline=None)
@given(
    st.text(max_size=20),
    st.text(max_size=20),
    # ISO dates, and digits the fast path must leave to the definition (superscript, Arabic-Indic, a lone hyphen).
    st.sampled_from(
        ["", "1985-07-12", "2001-01-31", "1985-07-1\u00b2", "-", "\u0661\u0669\u0668\u0665-\u0660\u0667-\u0661\u0662"]
    )
    | st.text(max_size=12),
)
def test_the_identity_index_equals_the_models_blind_index(last_name: str, first_name: str, birth_date: str):
    from breachdesk.importing.indexes import Indexer

    expected = crypto.blind_index("identity", last_name, first_name, birth_date)
    assert Indexer().identity_index(last_name, first_name, birth_date) == expected


_PERSONAL_TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["last_name", "first_name", "city"]), _PERSONAL_TEXT), st.lists(_PERSONAL_TEXT))
def test_the_imports_token_holds_the_json_encrypt_json_writes(values: dict[str, str], block: list[str]):
    import json

    from breachdesk.importing.indexes import Indexer

    personal: dict[str, object] = {"patient_ref": "P1", **values, "address_block": block}
    token = Indexer().encrypt_json(personal)
    assert crypto.decrypt_bytes(token) == json.dumps(personal, separators=(",", ":"), ensure_ascii=False).encode()
    assert crypto.decrypt_json(token) == personal
