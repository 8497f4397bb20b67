"""The notice ledger's fast paths: each PostgreSQL statement beside the portable ORM twin it must equal.

Why they exist: at a thousand emails a second, each ORM round trip and model instance per email showed more than the
SMTP exchange (bench/README.md, Emails). Claims are one `UPDATE ... RETURNING` over a `FOR UPDATE SKIP LOCKED`
subquery, outcomes one `UPDATE ... RETURNING`, events go in by COPY. SQLite has one writer: the portable twins take
the campaign's write lock instead. What pins each pair: the ledger, delivery and worker tests run on both databases
(`make test` on SQLite, `make test-pg` on PostgreSQL), and tests/notifications/test_campaign_ledger.py races claims
and launches concurrently on PostgreSQL.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from django.db import OperationalError, connection, transaction
from django.db.models import Case, F, Value, When
from django.db.models.functions import Coalesce

from breachdesk.copying import column_of, copy_into
from breachdesk.models.subjects import AgeGroup
from breachdesk.taxonomy import AdolescentAddressee
from notifications.models import Campaign, Channel, Notice, NoticeEvent, NoticeState, UnreachableSubject

# Advisory lock keys are (namespace, id) pairs; breachdesk/importing/postgres.py uses its own namespaces.
_FILL_LOCK_NAMESPACE = 7341


def lock_campaign(campaign_id: int) -> None:
    """Serialise writers of one campaign: a row lock on PostgreSQL, the write lock on SQLite."""
    if connection.vendor == "sqlite":
        Campaign.objects.filter(pk=campaign_id).update(populated_at=F("populated_at"))
    else:
        Campaign.objects.select_for_update().filter(pk=campaign_id).values_list("pk", flat=True).first()


@contextmanager
def campaign_fill_lock(campaign_id: int) -> Iterator[None]:
    """Serialise the fills of one campaign across their transactions: a session advisory lock on PostgreSQL.

    A fill commits step by step so that the campaign page shows its rows while it runs; two launches at once then
    still run one after the other, and the second finds everything there. SQLite has one writer: nothing to take.
    """
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s, %s)", [_FILL_LOCK_NAMESPACE, campaign_id])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [_FILL_LOCK_NAMESPACE, campaign_id])


def claim_due_emails(*, campaign_id: int, limit: int, now: datetime, token: uuid.UUID) -> list[int]:
    """Move the campaign's next due emails (id order) to "sending" under this claim's token; return their ids."""
    if connection.vendor == "postgresql":
        return _claim_due_emails_postgresql(campaign_id=campaign_id, limit=limit, now=now, token=token)
    with transaction.atomic():
        lock_campaign(campaign_id)
        ids = list(
            Notice.objects.filter(campaign_id=campaign_id)
            .due_emails(now=now)
            .order_by("pk")
            .values_list("pk", flat=True)[:limit]
        )
        Notice.objects.filter(pk__in=ids, state=NoticeState.PENDING).update(
            state=NoticeState.SENDING,
            claim_token=token,
            claimed_at=now,
            claim_heartbeat_at=now,
            handed_at=None,
            sent_at=None,
            attempts=F("attempts") + 1,
            state_changed_at=now,
        )
    return ids


def _claim_due_emails_postgresql(*, campaign_id: int, limit: int, now: datetime, token: uuid.UUID) -> list[int]:
    """One statement: lock the next due rows in id order, skipping those another worker holds, and move them.

    The ORM needs a transaction and three round trips for this; at a thousand emails a second they showed.
    """
    table = Notice._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            # MATERIALIZED: the locking subquery runs once, so the LIMIT holds.
            f"WITH due AS MATERIALIZED (SELECT id FROM {table} "  # noqa: S608 - values bound
            "WHERE campaign_id = %s AND channel = %s AND state = %s "
            "AND (next_attempt_at IS NULL OR next_attempt_at <= %s) ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED) "
            f"UPDATE {table} AS notice SET state = %s, claim_token = %s, claimed_at = %s, "
            "claim_heartbeat_at = %s, handed_at = NULL, sent_at = NULL, attempts = notice.attempts + 1, state_changed_at = %s FROM due WHERE notice.id = due.id RETURNING notice.id",
            [campaign_id, Channel.EMAIL, NoticeState.PENDING, now, limit, NoticeState.SENDING, token, now, now, now],
        )
        return sorted(row[0] for row in cursor.fetchall())


# Rows a claim may still hold: being sent, marked sent as the server answered, or made unknown by a sweep that took
# the claim back from a live worker (the worker's knowledge of what the server answered is better than the guess).
HELD_STATES = [NoticeState.SENDING, NoticeState.SENT, NoticeState.UNKNOWN]


def move_claimed(*, ids: list[int], token: uuid.UUID, values: dict[str, Any]) -> list[int]:
    """Set values on the rows of ids this claim still holds; return the ids moved."""
    if connection.vendor == "postgresql":
        # One statement instead of a locking read and an update: a thousand emails a second make it show.
        # The fence noted when the server accepted a message: the record keeps that time (COALESCE).
        assignments = ", ".join(
            f"{column_of(Notice, name)} = COALESCE({column_of(Notice, name)}, %s)"
            if name == "sent_at"
            else f"{column_of(Notice, name)} = %s"
            for name in values
        )
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {Notice._meta.db_table} SET {assignments} "  # noqa: S608 - columns from the model, values bound
                "WHERE id = ANY(%s) AND claim_token = %s AND state = ANY(%s) RETURNING id",
                [*values.values(), ids, token, HELD_STATES],
            )
            return [row[0] for row in cursor.fetchall()]
    mine = list(
        Notice.objects.select_for_update()
        .filter(pk__in=ids, claim_token=token, state__in=HELD_STATES)
        .values_list("pk", flat=True)
    )
    if "sent_at" in values:
        values = {**values, "sent_at": Coalesce(F("sent_at"), Value(values["sent_at"]))}
    Notice.objects.filter(pk__in=mine).update(**values)
    return mine


# A statement that PostgreSQL chose as a deadlock's victim is tried again this many times (it is idempotent).
_DEADLOCK_RETRIES = 3


def _retried_on_deadlock(sql: str, params: list[Any]) -> int:
    """Run one idempotent UPDATE in autocommit; if PostgreSQL aborts it to break a deadlock, run it again."""
    from psycopg import errors

    for attempt in range(_DEADLOCK_RETRIES + 1):
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                return int(cursor.rowcount)
        except OperationalError as error:
            # Inside a transaction the statement cannot be run again: the transaction is aborted.
            deadlock = isinstance(error.__cause__, errors.DeadlockDetected)
            if not deadlock or attempt == _DEADLOCK_RETRIES or connection.in_atomic_block:
                raise
    raise AssertionError("unreachable")


def refresh_heartbeat(*, campaign_id: int, tokens: list[uuid.UUID], now: datetime) -> int:
    """Refresh the heartbeat of a worker's claimed rows; return the rows refreshed.

    On PostgreSQL the rows a connection is fencing at that moment are skipped, never waited for: the fence takes its
    two rows in its own order, the heartbeat a whole window, and waiting would deadlock them. The fence refreshes the
    heartbeat of its own rows, and the next beat catches any other row skipped.
    """
    if connection.vendor == "postgresql":
        table = Notice._meta.db_table
        return _retried_on_deadlock(
            f"UPDATE {table} SET claim_heartbeat_at = %s WHERE id IN (SELECT id FROM {table} "  # noqa: S608
            "WHERE campaign_id = %s AND channel = %s AND state = %s AND claim_token = ANY(%s) "
            "ORDER BY id FOR UPDATE SKIP LOCKED)",
            [now, campaign_id, Channel.EMAIL, NoticeState.SENDING, tokens],
        )
    return Notice.objects.filter(
        campaign_id=campaign_id, channel=Channel.EMAIL, state=NoticeState.SENDING, claim_token__in=tokens
    ).update(claim_heartbeat_at=now)


def fence_claimed(
    *, token: uuid.UUID, ids: list[int], handing: list[int], sent: list[int], refused: list[int], now: datetime
) -> int:
    """The fence of ledger.hand_over: handed/sent times of rows this claim still holds as "sending"; the rows held.

    On PostgreSQL one plain statement (the ORM's CASE expressions cost more Python than the update itself, once per
    email); only handed_at and sent_at change, which no index holds.
    """
    if connection.vendor == "postgresql":
        return _retried_on_deadlock(
            f"UPDATE {Notice._meta.db_table} SET "  # noqa: S608 - table from the model, values bound
            "handed_at = CASE WHEN id = ANY(%s) THEN %s::timestamptz WHEN id = ANY(%s) THEN NULL ELSE handed_at END, "
            "sent_at = CASE WHEN id = ANY(%s) THEN %s::timestamptz ELSE sent_at END, claim_heartbeat_at = %s "
            "WHERE id = ANY(%s) AND claim_token = %s AND state = %s",
            [handing, now, refused, sent, now, now, ids, token, NoticeState.SENDING],
        )
    handed: list[When] = []
    if handing:
        handed.append(When(pk__in=handing, then=Value(now)))
    if refused:
        handed.append(When(pk__in=refused, then=Value(None)))
    values: dict[str, Any] = {
        "handed_at": Case(*handed, default=F("handed_at")) if handed else F("handed_at"),
        "claim_heartbeat_at": now,
    }
    if sent:
        values["sent_at"] = Case(When(pk__in=sent, then=Value(now)), default=F("sent_at"))
    return Notice.objects.filter(pk__in=ids, claim_token=token, state=NoticeState.SENDING).update(**values)


def insert_events(rows: list[tuple[int, str, str, datetime, int, str]]) -> None:
    """Insert (notice id, from state, to state, at, attempt, error) events: COPY on PostgreSQL, ORM elsewhere.

    The sending loop writes two events per email; building model instances for them cost more than the SMTP exchange.
    """
    if not rows:
        return
    if connection.vendor != "postgresql":
        NoticeEvent.objects.bulk_create(
            NoticeEvent(notice_id=pk, from_state=source, to_state=target, at=at, attempt=attempt, error=error)
            for pk, source, target, at, attempt, error in rows
        )
        return
    with copy_into(NoticeEvent, ("notice", "from_state", "to_state", "at", "attempt", "error")) as copy:
        for row in rows:
            copy.write_row(row)


def _reference_sql(breach_file_id: str, subject_id: str, letter: str, digit: str) -> str:
    """The SQL twin of references.make_reference for a first notice: ids and kind with the ISO 7064 mod 97 key."""
    padded = f"(CASE WHEN {subject_id} < 10000000 THEN lpad({subject_id}::text, 7, '0') ELSE {subject_id}::text END)"
    digits = f"({breach_file_id}::text || {padded} || {digit}::text)"
    key = f"(98 - ({digits}::numeric * 100) %% 97)"
    return f"({breach_file_id}::text || '-' || {padded} || '-' || {letter} || lpad({key}::text, 2, '0'))"


def references_of(rows: list[tuple[int, int, int]]) -> list[str]:
    """Compute first-notice references in SQL for (breach file id, subject id, kind digit) rows; tests pin the twin."""
    letters = {1: "P", 2: "E", 3: "R"}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT "  # noqa: S608 - column names only, values bound
            + _reference_sql("r.breach_file_id", "r.subject_id", "r.letter", "r.digit")
            + " FROM "
            "unnest(%s::bigint[], %s::bigint[], %s::text[], %s::int[]) WITH ORDINALITY "
            "AS r(breach_file_id, subject_id, letter, digit, position) ORDER BY r.position",
            [
                [row[0] for row in rows],
                [row[1] for row in rows],
                [letters[row[2]] for row in rows],
                [row[2] for row in rows],
            ],
        )
        return [row[0] for row in cursor.fetchall()]


# The covered persons' facts that are encrypted, staged for the launch's statements: the postcode of their letters and
# their age group on the letter date (from the birth date). A temporary table: this session's only.
_STAGED = "launch_staged_subjects"


def stage_subjects(chunks: Iterable[list[tuple[int, str, str]]]) -> None:
    """Load (subject id, postcode, age group on the letter date) rows, one COPY a chunk, for this launch's statements."""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {_STAGED}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {_STAGED} (subject_id bigint PRIMARY KEY, postcode varchar(10) NOT NULL, "
            "age_group varchar(12) NOT NULL)"
        )
        for rows in chunks:
            with (
                connection.wrap_database_errors,
                cursor.cursor.copy(f"COPY {_STAGED} (subject_id, postcode, age_group) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)
        cursor.execute(f"ANALYZE {_STAGED}")


def drop_staged_subjects() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {_STAGED}")


def _recipients_sql(adolescent_addressee: str) -> tuple[str, str, list[Any]]:
    """SQL conditions twin of campaigns.recipients_of: (told personally, told through the representatives, params).

    The age group is the staged one (on the letter date) when staged, else the one stored at import (an adult).
    """
    group = "COALESCE(f.age_group, s.age_group)"
    choice = adolescent_addressee or AdolescentAddressee.BOTH
    own = f"(s.has_confidential_care OR {group} IN (%s, %s) OR ({group} = %s AND %s))"
    representatives = f"(NOT s.has_confidential_care AND ({group} = %s OR ({group} = %s AND %s)))"
    params: list[Any] = [
        AgeGroup.ADULT,
        AgeGroup.UNKNOWN,
        AgeGroup.ADOLESCENT,
        choice in (AdolescentAddressee.MINOR, AdolescentAddressee.BOTH),
    ]
    representative_params: list[Any] = [
        AgeGroup.CHILD,
        AgeGroup.ADOLESCENT,
        choice in (AdolescentAddressee.REPRESENTATIVES, AdolescentAddressee.BOTH),
    ]
    return own, representatives, [params, representative_params]


_HAS_POST = "(s.has_postal_address AND NOT s.address_needs_review)"


def _covered_sql(covered: Any) -> tuple[str, tuple[Any, ...]]:
    """The covered persons as a derived table of the columns the rules read: read once, not probed id by id."""
    columns = ("id", "language", "has_postal_address", "address_needs_review", "has_email", "has_confidential_care")
    sql, params = covered.order_by().values(*columns, "age_group").query.sql_with_params()
    return f"({sql}) AS s", params


def fill_notices(
    *,
    campaign_id: int,
    breach_file_id: int,
    covered: Any,
    channel: str,
    addressee: str,
    adolescent_addressee: str,
    now: datetime,
) -> int:
    """Give each covered person one channel's row for one addressee, after the rules for minors; return the rows added.

    One `INSERT ... SELECT ... ON CONFLICT DO NOTHING` computing the reference in SQL: the ORM twin built a model
    instance per row and filled the ledger at 4,000-5,000 rows a second (bench/README.md, Launch). The staged
    subjects give the postcode and the age group on the letter date (`stage_subjects`).
    """
    covered_sql, covered_params = _covered_sql(covered)
    own, representatives, (own_params, representative_params) = _recipients_sql(adolescent_addressee)
    kinds = {
        (Channel.POST, Notice.Addressee.SUBJECT): ("P", 1, own, own_params, _HAS_POST),
        (Channel.EMAIL, Notice.Addressee.SUBJECT): ("E", 2, own, own_params, "s.has_email"),
        (Channel.POST, Notice.Addressee.REPRESENTATIVES): ("R", 3, representatives, representative_params, _HAS_POST),
    }
    letter, digit, rule, rule_params, reachable = kinds[(Channel(channel), Notice.Addressee(addressee))]
    postcode = "COALESCE(f.postcode, '')" if channel == Channel.POST else "''"
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {Notice._meta.db_table} (campaign_id, breach_file_id, subject_id, channel, origin, "  # noqa: S608 - tables and columns from the models, values bound
            "addressee, reference, language, postcode, state, attempts, last_error, pages, created_at, "
            "state_changed_at) "
            "SELECT %s, %s, s.id, %s, %s, %s, "
            # Integers and a fixed letter, written into the statement: no placeholder to keep in order.
            + _reference_sql(str(int(breach_file_id)), "s.id", f"'{letter}'", str(digit))
            + f", s.language, {postcode}, %s, 0, '', 0, %s, %s FROM {covered_sql} "
            f"LEFT JOIN {_STAGED} AS f ON f.subject_id = s.id "
            f"WHERE {reachable} AND {rule} "
            "ON CONFLICT DO NOTHING",
            [
                campaign_id,
                breach_file_id,
                channel,
                Notice.Origin.LAUNCH,
                addressee,
                NoticeState.PENDING,
                now,
                now,
                *covered_params,
                *rule_params,
            ],
        )
        return cursor.rowcount


def fill_unreachable(
    *,
    campaign_id: int,
    breach_file_id: int,
    covered: Any,
    channels: list[str],
    adolescent_addressee: str,
    now: datetime,
) -> None:
    """List unreachable the covered persons no chosen channel reaches after the rules for minors, and only them."""
    unreachable = UnreachableSubject._meta.db_table
    covered_sql, covered_params = _covered_sql(covered)
    own, representatives, (own_params, representative_params) = _recipients_sql(adolescent_addressee)
    post, email = Channel.POST in channels, Channel.EMAIL in channels
    reached = (
        f"(({own} AND ((%s AND {_HAS_POST}) OR (%s AND s.has_email))) OR ({representatives} AND %s AND {_HAS_POST}))"
    )
    reached_params: list[Any] = [*own_params, post, email, *representative_params, post]
    # campaigns._populate_chunk's reasons: no channel at all; an address (or a channel) the launch did not write to;
    # else a minor told through the representatives with no postal address.
    reason = (
        f"CASE WHEN NOT ({_HAS_POST} OR s.has_email) THEN %s "
        f"WHEN s.has_postal_address OR NOT ((%s AND {_HAS_POST}) OR (%s AND s.has_email)) THEN %s ELSE %s END"
    )
    reason_params: list[Any] = [
        UnreachableSubject.Reason.NO_CHANNEL,
        post,
        email,
        UnreachableSubject.Reason.NO_CHANNEL_CHOSEN,
        UnreachableSubject.Reason.MINOR_WITHOUT_POSTAL_ADDRESS,
    ]
    joined = f"{covered_sql} LEFT JOIN {_STAGED} AS f ON f.subject_id = s.id"
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {unreachable} (campaign_id, subject_id, reason, recorded_at) "  # noqa: S608 - tables from the models, values bound
            f"SELECT %s, s.id, {reason}, %s FROM {joined} "
            f"WHERE NOT {reached} "
            f"AND NOT EXISTS (SELECT 1 FROM {Notice._meta.db_table} AS n "
            "WHERE n.breach_file_id = %s AND n.subject_id = s.id) "
            "ON CONFLICT DO NOTHING",
            [campaign_id, *reason_params, now, *covered_params, *reached_params, breach_file_id],
        )
        # A later launch with another channel, or after an address to review was corrected, may reach people listed
        # unreachable before.
        cursor.execute(
            f"DELETE FROM {unreachable} AS u USING {joined} "  # noqa: S608 - tables from the models, values bound
            "WHERE u.campaign_id = %s AND u.subject_id = s.id AND u.reason IN (%s, %s) "
            f"AND {reached}",
            [
                *covered_params,
                campaign_id,
                UnreachableSubject.Reason.NO_CHANNEL_CHOSEN,
                UnreachableSubject.Reason.NO_CHANNEL,
                *reached_params,
            ],
        )
