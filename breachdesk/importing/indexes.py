"""Blind indexes and encryption at import speed: breachdesk.crypto's keys and normalisation, read once per import."""

from __future__ import annotations

from typing import Any

import orjson

from breachdesk import crypto

_normalise = crypto.normalise
_normalise_unicode = crypto.normalise_unicode
_NOT_ALNUM_ASCII = crypto.NOT_ALNUM_ASCII


class Indexer:
    """Compute blind indexes and tokens with the keys read once, for a whole import."""

    def __init__(self) -> None:
        self._hmac = crypto.index_hmac()
        self._encryptor = crypto.Encryptor()

    def index_of(self, prefix: bytes, value: str) -> str | None:
        """blind_index of one value, with the purpose given as b"purpose\\x00" (the hot path of an import)."""
        if not value:
            return None
        # crypto.normalise, inlined: ASCII values (references, NIRs, most emails) skip its call and its slow path.
        if value.isascii():
            normalised = value.lower()
            if not normalised.isalnum():
                normalised = _NOT_ALNUM_ASCII.sub("", normalised)
        else:
            normalised = _normalise_unicode(value)
        if not normalised:
            return None
        digest = self._hmac.copy()
        digest.update(prefix + normalised.encode("utf-8"))
        return digest.hexdigest()[:40]

    def pair_index(self, prefix: bytes, first: str, second: str) -> str | None:
        """blind_index of two values, with the purpose given as b"purpose\\x00"."""
        one = _normalise(first) if first else ""
        two = _normalise(second) if second else ""
        if not (one and two):
            return None
        digest = self._hmac.copy()
        digest.update(prefix + f"{one}\x1f{two}".encode())
        return digest.hexdigest()[:40]

    def identity_index(self, last_name: str, first_name: str, birth_date: str) -> str | None:
        """blind_index("identity", last_name, first_name, birth_date), without the generic path's overhead."""
        if not (last_name and first_name and birth_date):
            return None
        last = _normalise(last_name)
        first = _normalise(first_name)
        # Digits and hyphens (the ISO date the validator passes) normalise to the digits.
        birth = birth_date.replace("-", "")
        if not (birth.isascii() and birth.isdigit()):
            birth = _normalise(birth_date)
        if not (last and first and birth):
            return None
        digest = self._hmac.copy()
        digest.update(b"identity\x00" + f"{last}\x1f{first}\x1f{birth}".encode())
        return digest.hexdigest()[:40]

    def encrypt_json(self, value: dict[str, Any]) -> str:
        """Return a token breachdesk.crypto.decrypt_json reads, as encrypt_json would make it."""
        # orjson writes the bytes json.dumps(value, separators=(",", ":"), ensure_ascii=False) does, ten times faster.
        return self._encryptor.encrypt(orjson.dumps(value))
