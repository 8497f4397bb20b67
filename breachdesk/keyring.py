"""Every encrypted artefact, by the data key that protects it: rotation under the primary key, and the count per key.

Rows (a column holding one Fernet token) and files (in the private storage) register here; the core registers its
own from its AppConfig.ready(), each app built on it likewise, so that `rotate_keys` misses nothing.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from django.db import models, transaction

from breachdesk import crypto

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class EncryptedColumn:
    """A model field holding one Fernet token per row."""

    model: type[models.Model]
    field: str

    @property
    def label(self) -> str:
        return f"{self.model._meta.db_table}.{self.field}"


@dataclass(frozen=True)
class EncryptedFiles:
    """A kind of file in the private storage made of Fernet tokens."""

    kind: str
    # The files that exist, by name in the private storage, each with the id of the row that names it; only files
    # no one is writing.
    names: Callable[[], Iterable[tuple[int, str]]]
    tokens: Callable[[str], Iterator[bytes]]
    # Replace the file whole (open, then save under the same name) with each token passed through the function.
    rewrite: Callable[[str, Callable[[bytes], bytes]], None]


@dataclass(frozen=True)
class Unreadable:
    """An item no configured key authenticates: its table or kind and its id, never its content."""

    what: str
    item_id: int


@dataclass
class KeyUse:
    """How many items each key protects (rows per column, files per kind), by key number (1 = primary)."""

    counts: Counter[tuple[int, str]] = field(default_factory=Counter)
    unreadable: list[Unreadable] = field(default_factory=list)

    @property
    def on_old_keys(self) -> int:
        return sum(count for (number, _what), count in self.counts.items() if number != 1)


@dataclass
class Rotation:
    """What a rotation rewrote and what it skipped."""

    rows: int = 0
    files: int = 0
    skipped: list[Unreadable] = field(default_factory=list)


_columns: dict[str, EncryptedColumn] = {}
_files: dict[str, EncryptedFiles] = {}


def register_column(model: type[models.Model], field_name: str) -> None:
    """Declare a field whose rows each hold one token."""
    column = EncryptedColumn(model=model, field=field_name)
    _columns[column.label] = column


def register_files(files: EncryptedFiles) -> None:
    """Declare a kind of encrypted file."""
    _files[files.kind] = files


def columns() -> list[EncryptedColumn]:
    return list(_columns.values())


def file_kinds() -> list[EncryptedFiles]:
    return list(_files.values())


def _number(token: bytes | str) -> int | None:
    """The 1-based number of the key that authenticates the token, or None."""
    index = crypto.key_index(token)
    return None if index is None else index + 1


def _rows(column: EncryptedColumn, *, batch_size: int) -> Iterator[list[tuple[int, str]]]:
    last_pk = 0
    while True:
        batch = list(
            column.model._default_manager.filter(pk__gt=last_pk)
            .order_by("pk")
            .values_list("pk", column.field)[:batch_size]
        )
        if not batch:
            return
        yield batch
        last_pk = batch[-1][0]


def key_use(*, batch_size: int = 5000) -> KeyUse:
    """Count, for each configured key, the rows of every encrypted column and the files of every kind it protects."""
    use = KeyUse()
    for column in columns():
        for batch in _rows(column, batch_size=batch_size):
            for pk, token in batch:
                number = _number(token)
                if number is None:
                    use.unreadable.append(Unreadable(what=column.label, item_id=pk))
                else:
                    use.counts[number, column.label] += 1
    for files in file_kinds():
        for item_id, name in files.names():
            try:
                numbers = {_number(token) for token in files.tokens(name)}
            except crypto.DecryptionError:
                numbers = {None}
            if None in numbers:
                use.unreadable.append(Unreadable(what=files.kind, item_id=item_id))
                continue
            for number in numbers:
                assert number is not None
                use.counts[number, files.kind] += 1
    return use


def _rotated(token: bytes) -> bytes:
    return crypto.rotate_token(token.decode("ascii")).encode("ascii")


def rotate(*, batch_size: int = 2000) -> Rotation:
    """Re-encrypt under the primary key every item another key protects; skip (and report) unreadable ones."""
    rotation = Rotation()
    for column in columns():
        rotation.rows += _rotate_column(column, batch_size=batch_size, skipped=rotation.skipped)
    for files in file_kinds():
        for item_id, name in files.names():
            try:
                numbers = {_number(token) for token in files.tokens(name)}
                if None in numbers:
                    raise crypto.DecryptionError("unreadable")
                if numbers <= {1}:
                    continue
                files.rewrite(name, _rotated)
            except crypto.DecryptionError:
                rotation.skipped.append(Unreadable(what=files.kind, item_id=item_id))
                logger.warning("key rotation skipped unreadable %s %s", files.kind, item_id)
                continue
            rotation.files += 1
    return rotation


def _rotate_column(column: EncryptedColumn, *, batch_size: int, skipped: list[Unreadable]) -> int:
    rewritten = 0
    manager = column.model._default_manager
    for batch in _rows(column, batch_size=batch_size):
        stale = []
        for pk, token in batch:
            number = _number(token)
            if number is None:
                skipped.append(Unreadable(what=column.label, item_id=pk))
                logger.warning("key rotation skipped unreadable %s #%s", column.label, pk)
            elif number != 1:
                stale.append(pk)
        if not stale:
            continue
        with transaction.atomic():
            # Read again under lock: a writer may have replaced a token since the scan.
            rows = list(manager.select_for_update().filter(pk__in=stale).values_list("pk", column.field))
            changed = [
                column.model(pk=pk, **{column.field: crypto.rotate_token(token)})
                for pk, token in rows
                if _number(token) not in (1, None)
            ]
            manager.bulk_update(changed, [column.field], batch_size=500)
            rewritten += len(changed)
        logger.info("key rotation: %s up to id %s", column.label, batch[-1][0])
    return rewritten
