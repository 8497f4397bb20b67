"""Password rules: 12 characters at least, nothing like the username, not common, not only digits."""

from __future__ import annotations

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from breachdesk.signin.validators import UsernamePartsValidator

pytestmark = pytest.mark.django_db


def _refusals(password: str, user) -> set[str]:
    try:
        validate_password(password, user)
    except ValidationError as error:
        return {item.code for item in error.error_list}
    return set()


def test_the_username_followed_by_a_year_is_refused(lab_dpo):
    assert "password_contains_username" in _refusals("dpo.rennes2021", lab_dpo)
    assert "password_too_similar" in _refusals("dpo.rennes2021", lab_dpo)


def test_a_part_of_the_username_of_four_letters_or_more_is_refused_whatever_its_case(lab_dpo):
    assert _refusals("Cathedrale-RENNES-35!", lab_dpo) == {"password_contains_username"}
    # "dpo" alone is too short a part to refuse.
    assert _refusals("Cathedrale-dpo-35-St-Malo", lab_dpo) == set()


def test_the_part_validator_on_its_own(lab_dpo):
    validator = UsernamePartsValidator()
    with pytest.raises(ValidationError):
        validator.validate("my.Rennes.password", lab_dpo)
    validator.validate("an unrelated passphrase", lab_dpo)
    validator.validate("dpo.rennes2021", None)


def test_short_common_and_numeric_passwords_are_refused(lab_dpo):
    assert "password_too_short" in _refusals("Ab3$ef7*Kl9", lab_dpo)
    assert "password_too_common" in _refusals("password1234", lab_dpo)
    assert "password_entirely_numeric" in _refusals("403958172635", lab_dpo)


def test_a_long_unrelated_passphrase_is_accepted(lab_dpo):
    assert _refusals("granit rose sous la pluie", lab_dpo) == set()


def test_a_password_made_of_the_name_or_the_email_is_refused(lab_dpo):
    lab_dpo.first_name, lab_dpo.last_name, lab_dpo.email = "Maëlle", "Kerjean", "maelle.kerjean@lab-rennes.fr"

    # Django's similarity lets this one through (0.67 against the email, under its 0.7): the parts refuse it.
    assert _refusals("maelle.kerjean", lab_dpo) == {"password_contains_username"}
    assert "password_too_similar" in _refusals("maelle.kerjean@lab-rennes", lab_dpo)
