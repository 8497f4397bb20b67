"""Blind indexes at import speed: the same keyed HMACs as breachdesk.crypto.blind_index, computed faster."""

from __future__ import annotations

import hmac
import re

from django.conf import settings

from breachdesk import crypto

_NOT_ALNUM_ASCII = re.compile(r"[^a-z0-9]+")


def _normalise(value: str) -> str:
    # For ASCII text, casefold is lower, NFKD changes nothing and isalnum keeps [a-z0-9]: skip the slow path.
    if value.isascii():
        return _NOT_ALNUM_ASCII.sub("", value.lower())
    return crypto.normalise(value)


def blind_index(purpose: str, *parts: str) -> str | None:
    """Return exactly what breachdesk.crypto.blind_index returns, about three times faster."""
    normalised = [_normalise(part) for part in parts]
    if not all(normalised):
        return None
    message = purpose.encode() + b"\x00" + "\x1f".join(normalised).encode("utf-8")
    key = crypto._index_key(settings.BLIND_INDEX_KEY)
    return hmac.digest(key, message, "sha256").hex()[:40]
