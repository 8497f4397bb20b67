"""The import's PostgreSQL fast paths, each beside the portable twin it must equal.

Every fast path is pinned to its twin by tests (in `tests/breachdesk/importing/`) that assert the same outcome on both
databases: `make test` runs them on SQLite (the twins), CI (`.ci/run`) on PostgreSQL (the fast paths).

- COPY (`copy_text`, `copy_subjects`) instead of `create_subjects`' bulk_create: a lab file of a million rows is
  stored in one transaction without adapting every value of every row. Pinned by
  `test_services.py::test_a_valid_file_is_imported_encrypted_with_blind_indexes_equal_to_the_models`
  and, on PostgreSQL only, `test_postgres.py::test_copy_stores_rows_the_model_reads_back`.
- Arrays instead of an IN list in `existing_in_breach_file`: one string per batch, not thousands of placeholders,
  and PostgreSQL probes the unique indexes directly. Pinned by
  `test_duplicates.py::test_a_second_file_repeating_subjects_already_in_the_breach_file_is_rejected`.
- MATERIALIZED in `same_people_elsewhere`: without it PostgreSQL, lacking statistics on rows written in this
  transaction, starts from the other labs' rows. SQLite takes the same query without the keyword. Pinned by
  `test_duplicates.py::test_the_same_person_at_another_lab_is_recorded_for_the_compliance_officer_and_never_told_to_the_dpo`.
- Advisory locks in `lock_breach_file` and `lock_incident`: they serialise imports into one breach file, and the last
  step of imports into one incident, without locking a row; SQLite has one writer, so the twin takes no lock. Pinned
  by the waiting and two-labs tests of `test_postgres.py`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Q

from breachdesk.copying import copy_into
from breachdesk.importing.validation import ValidSubject
from breachdesk.models import BreachFile, DataSubject
from breachdesk.models.subjects import risk_class_of

# Serialises imports into one breach file on PostgreSQL without locking the breach file row itself.
_ADVISORY_LOCK_NAMESPACE = 0x1A7F
# Serialises the last step of imports into the breach files of one incident (the look at the other labs, then the
# commit), so that of two imports running at once the later one sees the earlier one's subjects.
_INCIDENT_LOCK_NAMESPACE = 0x1A80

# The columns of the COPY text copy_text builds, in its order.
_COPY_FIELDS = (
    "breach_file",
    "personal_token",
    "patient_ref_index",
    "nir_index",
    "email_index",
    "identity_index",
    "last_name_index",
    "full_name_index",
    "postcode_index",
    "country",
    "language",
    "processing_context",
    "has_health_data",
    "has_postal_address",
    "address_needs_review",
    "has_email",
    "age_group",
    "has_confidential_care",
    "source_line",
    "import_batch",
    "created_at",
)


def is_postgresql() -> bool:
    """Tell whether the fast paths apply: the default connection is PostgreSQL."""
    return connection.vendor == "postgresql"


@lru_cache(maxsize=512)
def _risk_class(exposures: tuple[str, ...]) -> tuple[int | None, bool]:
    return risk_class_of(exposures)


@lru_cache(maxsize=512)
def _risk_class_text(exposures: tuple[str, ...]) -> str:
    """The derived columns' COPY text; the codes themselves go into the encrypted token."""
    context, has_health_data = _risk_class(exposures)
    return "\t".join((str(context) if context is not None else "\\N", "t" if has_health_data else "f"))


def _hex_array(indexes: list[str]) -> str:
    """A PostgreSQL array literal of blind indexes: one string to send, not thousands of values to adapt one by one.

    ASCII letters and digits need no quoting in an array literal; anything else is refused rather than quoted.
    """
    literal = ",".join(indexes)
    if not (literal.isascii() and (not literal or literal.replace(",", "").isalnum())):
        raise ValueError("a blind index is not hexadecimal")
    return "{" + literal + "}"


def copy_text(
    batch: list[ValidSubject],
    *,
    breach_file_id: int,
    import_id: int,
    created_at: datetime,
    encrypt_json: Callable[[dict[str, Any]], str],
) -> Iterator[str]:
    """Lines of COPY text for a batch (columns in _COPY_FIELDS' order); the twin of create_subjects."""
    # COPY's text format, built directly: every value here is made by the import (base64 tokens, hex
    # indexes, validated codes, booleans, ids, a timestamp), so none holds a tab, newline or backslash.
    fixed = f"\t{import_id}\t{created_at.isoformat()}\n"
    prefix = f"{breach_file_id}\t"
    return (
        prefix
        + "\t".join(
            (
                encrypt_json(subject.personal),
                subject.patient_ref_index,
                subject.nir_index or "\\N",
                subject.email_index or "\\N",
                subject.identity_index or "\\N",
                subject.last_name_index or "\\N",
                subject.full_name_index or "\\N",
                subject.postcode_index or "\\N",
                subject.country,
                subject.language,
                _risk_class_text(subject.exposures),
                "t" if subject.has_postal_address else "f",
                "t" if subject.address_needs_review else "f",
                "t" if subject.has_email else "f",
                subject.age_group,
                "t" if subject.has_confidential_care else "f",
                str(subject.line),
            )
        )
        + fixed
        for subject in batch
    )


def copy_subjects(lines: Iterable[str]) -> None:
    """Write lines of COPY text (columns in _COPY_FIELDS' order) inside the import's transaction."""
    with copy_into(DataSubject, _COPY_FIELDS) as copy:
        pending: list[str] = []
        for line in lines:
            pending.append(line)
            if len(pending) == 500:
                copy.write("".join(pending))
                pending = []
        if pending:
            copy.write("".join(pending))


def create_subjects(
    batch: list[ValidSubject], *, breach_file_id: int, import_id: int, encrypt_json: Callable[[dict[str, Any]], str]
) -> None:
    """Store a batch through the ORM: the portable twin of copy_text and copy_subjects."""
    DataSubject.objects.bulk_create(
        [
            DataSubject(
                breach_file_id=breach_file_id,
                personal_token=encrypt_json(subject.personal),
                patient_ref_index=subject.patient_ref_index,
                nir_index=subject.nir_index,
                email_index=subject.email_index,
                identity_index=subject.identity_index,
                last_name_index=subject.last_name_index,
                full_name_index=subject.full_name_index,
                postcode_index=subject.postcode_index,
                country=subject.country,
                language=subject.language,
                processing_context=_risk_class(subject.exposures)[0],
                has_health_data=_risk_class(subject.exposures)[1],
                has_postal_address=subject.has_postal_address,
                address_needs_review=subject.address_needs_review,
                has_email=subject.has_email,
                age_group=subject.age_group,
                has_confidential_care=subject.has_confidential_care,
                source_line=subject.line,
                import_batch_id=import_id,
            )
            for subject in batch
        ],
        batch_size=500,
    )


def existing_in_breach_file(
    breach_file: BreachFile, refs: list[str], nirs: list[str]
) -> Iterable[tuple[str, str | None]]:
    """Return the (patient_ref, NIR) indexes of the breach file's subjects that match any of these."""
    if is_postgresql():
        # Arrays, not thousands of placeholders: PostgreSQL probes the unique indexes directly.
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT patient_ref_index, nir_index FROM {DataSubject._meta.db_table} "  # noqa: S608 - values bound
                "WHERE breach_file_id = %s AND (patient_ref_index = ANY(%s::text[]) OR nir_index = ANY(%s::text[]))",
                [breach_file.pk, _hex_array(refs), _hex_array(nirs)],
            )
            return cursor.fetchall()
    return (
        DataSubject.objects.filter(breach_file=breach_file)
        .filter(Q(patient_ref_index__in=refs) | Q(nir_index__in=nirs))
        .values_list("patient_ref_index", "nir_index")
    )


def same_people_elsewhere(breach_file: BreachFile, import_id: int) -> list[tuple[Any, ...]]:
    """Return (line, 'nir' or 'identity', other breach file id) for each stored row matching another breach file's."""
    table = DataSubject._meta.db_table
    # The rows this import stored first (MATERIALIZED keeps PostgreSQL from starting at the other labs' rows,
    # which it would for lack of statistics on a table filled in this transaction), then one probe of the NIR
    # (or identity) index each; rows of another incident's breach files are left out by the caller.
    materialized = "MATERIALIZED " if is_postgresql() else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH mine AS {materialized}(SELECT source_line, nir_index, identity_index "  # noqa: S608
            f"FROM {table} WHERE breach_file_id = %s AND import_batch_id = %s) "
            f"SELECT mine.source_line, 'nir', other.breach_file_id FROM mine "
            f"JOIN {table} other ON other.nir_index = mine.nir_index WHERE other.breach_file_id <> %s "
            "UNION ALL "
            f"SELECT mine.source_line, 'identity', other.breach_file_id FROM mine "
            f"JOIN {table} other ON other.identity_index = mine.identity_index "
            "WHERE mine.nir_index IS NULL AND other.breach_file_id <> %s",
            [breach_file.pk, import_id, breach_file.pk, breach_file.pk],
        )
        return cursor.fetchall()


def lock_breach_file(breach_file: BreachFile, *, heartbeat: Callable[[], None]) -> None:
    """Serialise imports into one breach file for the rest of the transaction, beating while it waits."""
    _advisory_xact_lock(
        _ADVISORY_LOCK_NAMESPACE, breach_file.pk, heartbeat=heartbeat, poll=settings.IMPORT_LOCK_POLL_SECONDS
    )


def lock_incident(incident_id: int, *, heartbeat: Callable[[], None]) -> None:
    """Serialise the last step of imports into one incident for the rest of the transaction, beating while it waits."""
    _advisory_xact_lock(
        _INCIDENT_LOCK_NAMESPACE, incident_id, heartbeat=heartbeat, poll=settings.IMPORT_INCIDENT_LOCK_POLL_SECONDS
    )


def _advisory_xact_lock(namespace: int, key: int, *, heartbeat: Callable[[], None], poll: float) -> None:
    """Take a PostgreSQL advisory lock until the transaction ends, beating while it waits (SQLite: one writer)."""
    if not is_postgresql():
        return
    beaten: float | None = None
    with connection.cursor() as cursor:
        while True:
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", [namespace, key])
            row = cursor.fetchone()
            if row and row[0]:
                return
            # Another import holds it: show this one is alive, so no sweep takes it over.
            now = time.monotonic()
            if beaten is None or now - beaten >= settings.IMPORT_LOCK_POLL_SECONDS:
                heartbeat()
                beaten = now
            time.sleep(poll)
