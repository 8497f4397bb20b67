"""Encryption of personal data at rest and keyed blind indexes for lookups."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import re
import time
import unicodedata
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class DecryptionError(Exception):
    """Raised when stored personal data cannot be authenticated and decrypted with any configured key."""


class UnreadableData(DecryptionError):
    """A stored row whose personal data no configured key decrypts; the message names its table and id, never data.

    One damaged token (or a key dropped too early) must fail its own row only: callers catch this, set the row
    aside where a DPO sees it, and go on with the others.
    """

    def __init__(self, table: str, pk: int | None) -> None:
        self.table = table
        self.pk = pk
        super().__init__(f"the personal data of {table} row {pk} cannot be decrypted with any configured key")


@lru_cache(maxsize=4)
def _cipher(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("BREACHDESK_DATA_KEYS holds no key")
    return MultiFernet([Fernet(key.encode()) for key in keys])


def cipher() -> MultiFernet:
    """Return the key ring: the first key encrypts, every key decrypts."""
    return _cipher(tuple(settings.DATA_ENCRYPTION_KEYS))


def encrypt_bytes(plaintext: bytes) -> str:
    """Encrypt bytes with the primary key and return the token as text."""
    return cipher().encrypt(plaintext).decode("ascii")


def decrypt_bytes(token: str | bytes) -> bytes:
    """Decrypt a token, raising DecryptionError (without the token) when it fails."""
    raw = token.encode("ascii") if isinstance(token, str) else bytes(token)
    try:
        return cipher().decrypt(raw)
    except (InvalidToken, ValueError, TypeError):
        raise DecryptionError("stored personal data failed authentication with every configured key") from None


def encrypt_json(value: dict[str, Any]) -> str:
    """Encrypt a JSON-serialisable mapping."""
    return encrypt_bytes(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))


def decrypt_json(token: str | bytes) -> dict[str, Any]:
    """Decrypt a token made by encrypt_json."""
    value = json.loads(decrypt_bytes(token))
    if not isinstance(value, dict):
        raise DecryptionError("stored personal data is not a mapping")
    return value


def decrypt_row_json(token: str | bytes, *, table: str, pk: int | None) -> dict[str, Any]:
    """Decrypt a row's token made by encrypt_json, raising UnreadableData that names the row when it fails."""
    try:
        return decrypt_json(token)
    except (DecryptionError, ValueError):
        raise UnreadableData(table, pk) from None


_FERNET_VERSION = b"\x80"
_BLOCK = 16
_IVS_PER_DRAW = 256
_PKCS7 = [bytes((size,)) * size for size in range(_BLOCK + 1)]
_URLSAFE = bytes.maketrans(b"+/", b"-_")


class Encryptor:
    """Make the tokens Fernet.encrypt makes with the primary key, for many values, without its per-token objects.

    One per import, in the process that imports: it holds a few random IVs ahead, which a copy made by fork would
    use again.
    """

    def __init__(self) -> None:
        cipher()  # The key ring's own checks first.
        key = base64.urlsafe_b64decode(settings.DATA_ENCRYPTION_KEYS[0])
        keyed = hmac.new(key[:16], digestmod="sha256")
        self._hmac: Any = getattr(keyed, "_hmac", None) or keyed
        # One AES-CBC context for every token instead of one each: CBC XORs each block with the previous ciphertext
        # block, so XOR-ing that block and the token's own IV into the token's first block makes the context
        # encrypt exactly as a fresh context started with that IV would (the test compares with Fernet's output).
        self._cbc = Cipher(algorithms.AES(key[16:]), modes.CBC(bytes(_BLOCK))).encryptor()
        self._chain = 0
        self._ivs: Iterator[bytes] = iter(())

    def encrypt(self, plaintext: bytes) -> str:
        """Encrypt bytes as Fernet.encrypt would (random IV, current time) and return the token as text."""
        iv = next(self._ivs, None)
        if iv is None:
            # The IVs come from the same source as Fernet's (os.urandom), one system call per 256 tokens.
            pool = os.urandom(_BLOCK * _IVS_PER_DRAW)
            self._ivs = iter([pool[start : start + _BLOCK] for start in range(0, len(pool), _BLOCK)])
            iv = next(self._ivs)
        return self.token(plaintext, issued_at=int(time.time()), iv=iv)

    def token(self, plaintext: bytes, *, issued_at: int, iv: bytes) -> str:
        """Return the Fernet token of plaintext for a given time and IV (the IV must be random, never reused)."""
        padded = plaintext + _PKCS7[_BLOCK - len(plaintext) % _BLOCK]
        first = int.from_bytes(padded[:_BLOCK], "big") ^ int.from_bytes(iv, "big") ^ self._chain
        ciphertext = self._cbc.update(first.to_bytes(_BLOCK, "big") + padded[_BLOCK:])
        self._chain = int.from_bytes(ciphertext[-_BLOCK:], "big")
        signed = _FERNET_VERSION + issued_at.to_bytes(8, "big") + iv + ciphertext
        mac = self._hmac.copy()
        mac.update(signed)
        return binascii.b2a_base64(signed + mac.digest(), newline=False).translate(_URLSAFE).decode("ascii")


@lru_cache(maxsize=4)
def _signing_keys(keys: tuple[str, ...]) -> tuple[bytes, ...]:
    cipher()  # The key ring's own checks first.
    return tuple(base64.urlsafe_b64decode(key)[:16] for key in keys)


def key_index(token: str | bytes) -> int | None:
    """The position in BREACHDESK_DATA_KEYS of the key that authenticates the token (None: no key does).

    Checks the token's HMAC with each key's signing half, without decrypting.
    """
    try:
        raw = base64.urlsafe_b64decode(token.encode("ascii") if isinstance(token, str) else token)
    except (binascii.Error, ValueError):
        return None
    if len(raw) < 1 + 8 + _BLOCK + _BLOCK + 32 or raw[:1] != _FERNET_VERSION:
        return None
    signed, mac = raw[:-32], raw[-32:]
    for index, key in enumerate(_signing_keys(tuple(settings.DATA_ENCRYPTION_KEYS))):
        if hmac.compare_digest(hmac.new(key, signed, "sha256").digest(), mac):
            return index
    return None


def key_fingerprint(key: str) -> str:
    """A short name for a data key that reveals nothing of it (for reports and errors)."""
    return hashlib.sha256(b"breachdesk-key-fingerprint" + key.encode()).hexdigest()[:8]


def rotate_token(token: str) -> str:
    """Re-encrypt a token under the primary key."""
    try:
        return cipher().rotate(token.encode("ascii")).decode("ascii")
    except InvalidToken:
        raise DecryptionError("stored personal data failed authentication with every configured key") from None


def key_problems(data_keys: list[str], *, blind_index_key: str, audit_key: str) -> list[str]:
    """What is wrong with the configured keys, naming each by its position, never by its value."""
    problems = []
    if not data_keys:
        problems.append("BREACHDESK_DATA_KEYS holds no key")
    for number, key in enumerate(data_keys, start=1):
        try:
            Fernet(key.strip().encode("ascii"))
        except (ValueError, binascii.Error, UnicodeEncodeError):
            problems.append(
                f"BREACHDESK_DATA_KEYS: key {number} of {len(data_keys)} is not a Fernet key "
                "(32 bytes in URL-safe base64, 44 characters)"
            )
    if len({key.strip() for key in data_keys}) != len(data_keys):
        problems.append("BREACHDESK_DATA_KEYS names the same key twice")
    for name, key in (("BREACHDESK_BLIND_INDEX_KEY", blind_index_key), ("BREACHDESK_AUDIT_KEY", audit_key)):
        if len(key) < 16:
            problems.append(f"{name} is shorter than 16 characters")
    return problems


def generate_key() -> str:
    """Return a new random data key."""
    return Fernet.generate_key().decode("ascii")


@lru_cache(maxsize=4)
def _index_key(key: str) -> bytes:
    if not key:
        raise ImproperlyConfigured("BREACHDESK_BLIND_INDEX_KEY is empty")
    return hashlib.sha256(b"breachdesk-blind-index" + key.encode()).digest()


@lru_cache(maxsize=4)
def _keyed_hmac(key: str) -> Any:
    keyed = hmac.new(_index_key(key), digestmod="sha256")
    # The C object under hmac.HMAC copies and digests without Python frames, when the build has it.
    return getattr(keyed, "_hmac", None) or keyed


def index_hmac() -> Any:
    """Return the keyed HMAC to copy for each blind index (the key is read and derived once)."""
    return _keyed_hmac(settings.BLIND_INDEX_KEY)


NOT_ALNUM_ASCII = re.compile(r"[^a-z0-9]+")


@lru_cache(maxsize=65536)
def normalise_unicode(value: str) -> str:
    """normalise() of a value that is not all ASCII."""
    decomposed = unicodedata.normalize("NFKD", value.casefold())
    return "".join(char for char in decomposed if char.isalnum())


def normalise(value: str) -> str:
    """Fold case, accents, spaces and punctuation so equal values index equally."""
    # For ASCII text casefold is lower, NFKD changes nothing and isalnum keeps [a-z0-9]: skip the slow path.
    if value.isascii():
        lowered = value.lower()
        return lowered if lowered.isalnum() else NOT_ALNUM_ASCII.sub("", lowered)
    # Names repeat a lot in a lab's file: remember the distinct ones.
    return normalise_unicode(value)


def blind_index(purpose: str, *parts: str) -> str | None:
    """Return the keyed HMAC of normalised parts, or None when any part is empty."""
    normalised = [normalise(part) for part in parts]
    if not all(normalised):
        return None
    digest = index_hmac().copy()
    digest.update(purpose.encode() + b"\x00" + "\x1f".join(normalised).encode("utf-8"))
    return str(digest.hexdigest()[:40])
