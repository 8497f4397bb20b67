"""What an import says, stored as the message's gettext id and its parameters, told in the reader's language.

An import's findings and summary are history (STYLE.md): a French DPO and an English compliance officer read the same
report. Modules of the import write `_("...") % {...}` with `_` bound to `deferred`, so makemessages extracts the
strings as usual while nothing is translated until a person reads them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext

Stored = dict[str, Any]


class Message:
    """A message not yet translated: its gettext id and its parameters (never a personal value)."""

    __slots__ = ("params", "text")

    def __init__(self, text: str, params: Mapping[str, object] | None = None) -> None:
        self.text = text
        self.params = dict(params or {})

    def __mod__(self, params: Mapping[str, object]) -> Message:
        return Message(self.text, params)

    def __str__(self) -> str:
        return render(self.to_json())

    def __repr__(self) -> str:
        return f"Message({self.text!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Message) and self.to_json() == other.to_json()

    def __hash__(self) -> int:
        return hash(self.text)

    def __contains__(self, part: str) -> bool:
        return part in str(self)

    def to_json(self) -> Stored:
        params = {key: value.to_json() if isinstance(value, Message) else value for key, value in self.params.items()}
        return {"text": self.text, "params": params} if params else {"text": self.text}


def deferred(text: str) -> Message:
    """Mark a message for translation when it is read, not when it is written."""
    return Message(text)


def render(stored: Stored | str) -> str:
    """Tell a stored message in the active language; a sentence stored before codes is shown as it was."""
    if isinstance(stored, str):
        return stored
    text = str(stored.get("text", ""))
    params = {
        key: render(value) if isinstance(value, dict) else value for key, value in stored.get("params", {}).items()
    }
    translated = gettext(text) if text else ""
    if not params:
        return translated
    for template in (translated, text):
        try:
            return template % params
        except (KeyError, TypeError, ValueError):
            continue
    return text


def render_all(messages: list[Stored | str]) -> str:
    """Tell stored messages one after another, in the active language."""
    return " ".join(part for part in (render(message) for message in messages) if part)
