"""The audit trail's hash chain: each entry seals its content and the previous entry's seal with an HMAC.

An HMAC keyed apart from the database (BREACHDESK_AUDIT_KEY), not a bare SHA-256: an attacker who can write to the
database could recompute a bare hash chain after changing an entry, never an HMAC chain without the key.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connections

if TYPE_CHECKING:
    from breachdesk.models.audit import HashChainedModel

# pg_advisory_xact_lock(namespace, chain): beside the import locks' 0x1A7F and 0x1A80.
_CHAIN_LOCK_NAMESPACE = 0x1A81


@dataclass(frozen=True)
class ChainReport:
    """What a verification of one chain found: entries read, and the first whose seal does not match."""

    table: str
    count: int
    broken_id: int | None = None
    broken_at: datetime | None = None

    @property
    def is_intact(self) -> bool:
        return self.broken_id is None


def content(values: Mapping[str, Any]) -> bytes:
    """The canonical bytes of an entry's chained values: sorted JSON, datetimes in UTC to the microsecond."""
    plain = {
        name: value.astimezone(UTC).isoformat(timespec="microseconds") if isinstance(value, datetime) else value
        for name, value in values.items()
    }
    return json.dumps(plain, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def seal(*, table: str, previous: str, values: Mapping[str, Any]) -> str:
    """The entry's seal: HMAC-SHA256 of the table, the previous seal (empty for the first) and the content."""
    key = settings.AUDIT_CHAIN_KEY.encode()
    message = table.encode() + b"\x00" + previous.encode() + b"\x00" + content(values)
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def chained_values(entry: HashChainedModel) -> dict[str, Any]:
    """The values of the entry that its seal covers (foreign keys as ids)."""
    return {name: entry.serializable_value(name) for name in entry.chained_fields}


def link(entry: HashChainedModel, *, using: str) -> None:
    """Seal a new entry after the last one, holding the chain until the transaction ends so that it never forks."""
    model = type(entry)
    connection = connections[using]
    if connection.vendor == "postgresql":
        # One writer per chain until commit: the next writer reads this entry's seal, never the same predecessor.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_CHAIN_LOCK_NAMESPACE, model.chain_lock_key])
    # SQLite has one writer: a transaction that read a seal another one then superseded cannot write.
    previous = model._base_manager.using(using).order_by("-pk").values_list("chain_hash", flat=True).first()
    entry.chain_hash = seal(table=model._meta.db_table, previous=previous or "", values=chained_values(entry))


def verify(model: type[HashChainedModel], *, using: str = "default") -> ChainReport:
    """Recompute the chain of a table in id order and return where it first breaks, if it does."""
    table = model._meta.db_table
    names = [*model.chained_fields, "chain_hash", "pk"]
    rows: Iterable[dict[str, Any]] = (
        model._base_manager.using(using).order_by("pk").values(*names).iterator(chunk_size=2000)
    )
    previous = ""
    count = 0
    for row in rows:
        count += 1
        stored = row.pop("chain_hash")
        pk = row.pop("pk")
        expected = seal(table=table, previous=previous, values=row)
        if not hmac.compare_digest(stored, expected):
            at = row.get("at")
            return ChainReport(table=table, count=count, broken_id=pk, broken_at=at)
        previous = stored
    return ChainReport(table=table, count=count)
