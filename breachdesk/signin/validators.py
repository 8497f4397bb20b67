"""Password rules Django's validators leave out."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# Parts shorter than this ("dpo", "jo") occur in too many good passwords to refuse.
MINIMUM_PART_LENGTH = 4


def _identity_parts(user: object) -> list[str]:
    email = getattr(user, "email", "") or ""
    values = [getattr(user, name, "") or "" for name in ("username", "first_name", "last_name")]
    values.append(email.partition("@")[0])
    return [part for value in values for part in (value, *re.split(r"[\W_]+", value))]


class UsernamePartsValidator:
    """Refuse a password containing the username, a name or the email's local part, or a part of 4+ characters."""

    # Django's UserAttributeSimilarityValidator compares whole strings: "dpo.rennes2021" is similar enough to
    # "dpo.rennes", but "maelle.kerjean" is not similar enough to "Maëlle" nor to "maelle.kerjean@lab-rennes.fr".
    def validate(self, password: str, user: object = None) -> None:
        lowered = password.casefold()
        if any(len(part) >= MINIMUM_PART_LENGTH and part.casefold() in lowered for part in _identity_parts(user)):
            raise ValidationError(
                _("The password must not contain your username, your name or a part of them."),
                code="password_contains_username",
            )

    def get_help_text(self) -> str:
        return _("Your password must not contain your username, your name or a part of them.")
