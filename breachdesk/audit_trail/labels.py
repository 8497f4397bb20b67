"""What each audit entry is about, in words: each app registers its object types when it is ready."""

from __future__ import annotations

from django.db import models
from django.utils.functional import Promise

_labels: dict[str, str | Promise] = {}


def register_object_types(choices: type[models.TextChoices]) -> None:
    """Name an app's audit object types (registering a code again replaces its label)."""
    for value, label in choices.choices:
        _labels[value] = label


def object_type_label(code: str) -> str:
    """Name a stored object type in the active language; a code nobody registered stays as stored."""
    label = _labels.get(code)
    return str(label) if label is not None else code


def object_type_codes() -> list[str]:
    """Every registered object type's code."""
    return list(_labels)


def object_type_choices() -> list[tuple[str, str]]:
    """Every registered object type, sorted by its name in the active language."""
    return sorted(((code, str(label)) for code, label in _labels.items()), key=lambda choice: choice[1].casefold())
