"""Blind indexes and encryption at import speed: the same bytes as breachdesk.crypto, computed faster."""

from __future__ import annotations

import hmac
import json
import re
from functools import lru_cache
from typing import Any

from django.conf import settings

from breachdesk import crypto

_NOT_ALNUM_ASCII = re.compile(r"[^a-z0-9]+")
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


@lru_cache(maxsize=65536)
def _normalise_unicode(value: str) -> str:
    return crypto.normalise(value)


def _normalise(value: str) -> str:
    # For ASCII text, casefold is lower, NFKD changes nothing and isalnum keeps [a-z0-9]: skip the slow path.
    if value.isascii():
        if value.isalnum():
            return value.lower()
        return _NOT_ALNUM_ASCII.sub("", value.lower())
    # Names repeat a lot in a lab's file: remember the few thousand distinct ones.
    return _normalise_unicode(value)


class Indexer:
    """Compute blind indexes and tokens with the keys read once, for a whole import."""

    def __init__(self) -> None:
        keyed = hmac.new(crypto._index_key(settings.BLIND_INDEX_KEY), digestmod="sha256")
        # The C object under hmac.HMAC copies and digests without Python frames, when the build has it.
        self._hmac: Any = getattr(keyed, "_hmac", None) or keyed
        self._cipher = crypto.cipher()

    def blind_index(self, purpose: str, *parts: str) -> str | None:
        """Return exactly what breachdesk.crypto.blind_index returns."""
        normalised = [_normalise(part) for part in parts]
        if not all(normalised):
            return None
        digest = self._hmac.copy()
        digest.update(purpose.encode() + b"\x00" + "\x1f".join(normalised).encode("utf-8"))
        return str(digest.hexdigest()[:40])

    def index_of(self, prefix: bytes, value: str) -> str | None:
        """blind_index of one value, with the purpose given as b"purpose\\x00" (the hot path of an import)."""
        normalised = _normalise(value) if value else ""
        if not normalised:
            return None
        digest = self._hmac.copy()
        digest.update(prefix + normalised.encode("utf-8"))
        return str(digest.hexdigest()[:40])

    def identity_index(self, last_name: str, first_name: str, birth_date: str) -> str | None:
        """blind_index("identity", last_name, first_name, birth_date), without the generic path's overhead."""
        if not (last_name and first_name and birth_date):
            return None
        last = _normalise(last_name)
        first = _normalise(first_name)
        birth = _normalise(birth_date)
        if not (last and first and birth):
            return None
        digest = self._hmac.copy()
        digest.update(b"identity\x00" + f"{last}\x1f{first}\x1f{birth}".encode())
        return str(digest.hexdigest()[:40])

    def encrypt_json(self, value: dict[str, Any]) -> str:
        """Return a token breachdesk.crypto.decrypt_json reads, as encrypt_json would make it."""
        return self._cipher.encrypt(_ENCODER.encode(value).encode("utf-8")).decode("ascii")


def blind_index(purpose: str, *parts: str) -> str | None:
    """Return exactly what breachdesk.crypto.blind_index returns (one-off use; imports keep an Indexer)."""
    return Indexer().blind_index(purpose, *parts)
