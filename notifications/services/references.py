"""The reference printed on each letter and email: a check-digit code a person can quote or a scanner read."""

from __future__ import annotations

from notifications.models import Channel, Notice

# P: a letter to the person, E: an email, R: a letter to a child's legal representatives.
_KINDS = {
    (Channel.POST, Notice.Addressee.SUBJECT): ("P", 1),
    (Channel.EMAIL, Notice.Addressee.SUBJECT): ("E", 2),
    (Channel.POST, Notice.Addressee.REPRESENTATIVES): ("R", 3),
}
_BY_LETTER = {letter: key for key, (letter, _digit) in _KINDS.items()}


def make_reference(
    breach_file_id: int,
    subject_id: int,
    channel: str,
    addressee: str = Notice.Addressee.SUBJECT,
    sequence: int = 1,
) -> str:
    """Build the printed reference: ids and kind with an ISO 7064 mod 97 key that catches typing errors.

    A notice sent again after a return or a bounce carries its sequence number (2, 3...) after the key, inside it.
    """
    letter, digit = _KINDS[(Channel(channel), Notice.Addressee(addressee))]
    digits = f"{breach_file_id}{subject_id:07d}{digit}{sequence if sequence > 1 else ''}"
    key = 98 - (int(digits) * 100) % 97
    reference = f"{breach_file_id}-{subject_id:07d}-{letter}{key:02d}"
    return f"{reference}-{sequence}" if sequence > 1 else reference


def normalise_reference(text: str) -> str | None:
    """Return the reference typed or scanned, normalised, or None when its key does not match."""
    compact = "".join(text.split()).upper()
    parts = compact.split("-")
    sequence = 1
    if len(parts) == 4 and parts[3].isdigit() and not parts[3].startswith("0") and int(parts[3]) > 1:
        sequence = int(parts[3])
        parts = parts[:3]
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit() or len(parts[2]) != 3:
        return None
    letter, key = parts[2][0], parts[2][1:]
    if letter not in _BY_LETTER or not key.isdigit():
        return None
    channel, addressee = _BY_LETTER[letter]
    expected = make_reference(int(parts[0]), int(parts[1]), channel, addressee, sequence)
    return expected if expected == compact else None


def is_letter_reference(reference: str) -> bool:
    """Tell whether a normalised reference is a letter's (to the person or to a child's legal representatives)."""
    parts = reference.split("-")
    kind = _BY_LETTER.get(parts[2][:1]) if len(parts) >= 3 else None
    return kind is not None and kind[0] == Channel.POST
