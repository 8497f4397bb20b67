"""Raw SQL on a model's table: COPY for the bulk writes of the import and of the sending ledger, and columns."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection, models


def column_of(model: type[models.Model], field_name: str) -> str:
    """The database column of a concrete field (a foreign key's is its _id column)."""
    field = model._meta.get_field(field_name)
    if not isinstance(field, models.Field) or not field.column:
        raise ValueError(f"{field_name} is not a concrete field of {model.__name__}")
    return str(field.column)


@contextmanager
def copy_into(model: type[models.Model], field_names: Iterable[str]) -> Iterator[Any]:
    """Open COPY ... FROM STDIN for these fields of model, in the current transaction; yield psycopg's Copy.

    The raw cursor bypasses Django's error translation: it is restored, so a unique violation is an IntegrityError.
    """
    meta = model._meta
    columns = ", ".join(column_of(model, name) for name in field_names)
    with (
        connection.cursor() as cursor,
        connection.wrap_database_errors,
        cursor.cursor.copy(f"COPY {meta.db_table} ({columns}) FROM STDIN") as copy,
    ):
        yield copy
