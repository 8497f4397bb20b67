"""Fixtures of the import tests: synthetic lab files written the ways labs write them."""

from __future__ import annotations

import csv
import io
import os
import random
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from django.db import connection

from breachdesk.celery import app as celery_app
from breachdesk.synthetic import PLACES, person

if TYPE_CHECKING:
    from breachdesk.models import SubjectImport

HEADER = (
    "patient_ref",
    "last_name",
    "first_name",
    "birth_date",
    "nir",
    "email",
    "phone",
    "address_1",
    "address_2",
    "address_3",
    "postcode",
    "city",
    "country",
    "language",
    "exposed",
    "title",
    "confidential_care",
)


def subject_row(index: int, *, place_index: int = 0, **overrides: str) -> dict[str, str]:
    """One valid synthetic row (unique patient_ref and NIR for indexes below 1000 per place)."""
    place = PLACES[place_index]
    personal, exposures, language = person(random.Random(index), index, place)
    assert personal.birth_date is not None
    row = {
        "patient_ref": personal.patient_ref,
        "last_name": personal.last_name,
        "first_name": personal.first_name,
        "birth_date": personal.birth_date.strftime("%d/%m/%Y"),
        "nir": personal.nir,
        "email": f"subject.{index}@example.org",
        "phone": f"02 99 {index % 100:02d} {(index // 100) % 100:02d} {(index // 10000) % 100:02d}",
        "address_1": personal.address_1 or f"{index % 150 + 1} rue de la Paix",
        "address_2": "",
        "address_3": "",
        "postcode": place.postcode,
        "city": place.city,
        "country": "FR",
        "language": language,
        "exposed": "|".join(exposures),
    }
    row.update(overrides)
    return row


def rows(count: int, *, start: int = 0, place_index: int = 0) -> list[dict[str, str]]:
    return [subject_row(index, place_index=place_index) for index in range(start, start + count)]


def csv_bytes(
    data: Iterable[dict[str, str]],
    *,
    columns: Iterable[str] = HEADER,
    delimiter: str = ";",
    encoding: str = "utf-8",
    newline: str = "\r\n",
    bom: bool = False,
) -> bytes:
    columns = list(columns)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=newline)
    writer.writerow(columns)
    for row in data:
        writer.writerow([row.get(column, "") for column in columns])
    raw = buffer.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" + raw) if bom else raw


def write_csv(path: Path, data: Iterable[dict[str, str]], **options: object) -> Path:
    path.write_bytes(csv_bytes(data, **options))  # type: ignore[arg-type]
    return path


def report_of(subject_import: SubjectImport) -> list[dict[str, str]]:
    """Return the import's report as the page shows it, in the active language, every value as text."""
    from breachdesk.importing.report import report_entries

    return [
        {key: str(value) for key, value in entry.items() if key != "is_error"}
        | {"level": "error" if entry["is_error"] else "warning"}
        for entry in report_entries(subject_import)
    ]


def write_xlsx(path: Path, data: Iterable[dict[str, str | object]], *, columns: Iterable[str] = HEADER) -> Path:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    columns = list(columns)
    sheet.append(columns)
    for row in data:
        sheet.append([row.get(column, "") for column in columns])
    workbook.save(path)
    return path


class FakeUpload:
    """What the view hands the service: Django's UploadedFile interface, from bytes."""

    def __init__(self, content: bytes, name: str = "patients.csv", chunk_size: int = 64 * 1024) -> None:
        self.content = content
        self.name = name
        self.size: int | None = len(content)
        self._chunk_size = chunk_size

    def chunks(self, chunk_size: int | None = None) -> Iterator[bytes]:
        step = chunk_size or self._chunk_size
        for start in range(0, len(self.content), step):
            yield self.content[start : start + step]


@pytest.fixture
def eager_celery() -> Iterator[None]:
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture
def postgresql_only() -> None:
    """Skip away from PostgreSQL, unless CI requires the services: then fail."""
    if connection.vendor == "postgresql":
        return
    if os.environ.get("BREACHDESK_REQUIRE_SERVICES"):
        pytest.fail("This test needs PostgreSQL (BREACHDESK_REQUIRE_SERVICES is set): set DATABASE_URL.")
    pytest.skip("needs PostgreSQL: set DATABASE_URL=postgres://...")
