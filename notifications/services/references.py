"""The reference printed on each letter and email: a check-digit code a person can quote or a scanner read."""

from __future__ import annotations

from notifications.models import (
    Channel,
)

CHANNEL_LETTER = {Channel.POST: "P", Channel.EMAIL: "E"}


def make_reference(breach_file_id: int, subject_id: int, channel: str) -> str:
    """Build the printed reference: ids and channel with an ISO 7064 mod 97 key that catches typing errors."""
    letter = CHANNEL_LETTER[Channel(channel)]
    digits = f"{breach_file_id}{subject_id:07d}{1 if letter == 'P' else 2}"
    key = 98 - (int(digits) * 100) % 97
    return f"{breach_file_id}-{subject_id:07d}-{letter}{key:02d}"


def normalise_reference(text: str) -> str | None:
    """Return the reference typed or scanned, normalised, or None when its key does not match."""
    compact = "".join(text.split()).upper()
    parts = compact.split("-")
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit() or len(parts[2]) != 3:
        return None
    letter, key = parts[2][0], parts[2][1:]
    if letter not in ("P", "E") or not key.isdigit():
        return None
    channel = Channel.POST if letter == "P" else Channel.EMAIL
    expected = make_reference(int(parts[0]), int(parts[1]), channel)
    return expected if expected == compact else None
