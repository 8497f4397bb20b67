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
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import F

from breachdesk.copying import column_of, copy_into
from notifications.models import Campaign, Channel, Notice, NoticeEvent, NoticeState


def lock_campaign(campaign_id: int) -> None:
    """Serialise writers of one campaign: a row lock on PostgreSQL, the write lock on SQLite."""
    if connection.vendor == "sqlite":
        Campaign.objects.filter(pk=campaign_id).update(populated_at=F("populated_at"))
    else:
        Campaign.objects.select_for_update().filter(pk=campaign_id).values_list("pk", flat=True).first()


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
            "claim_heartbeat_at = %s, handed_at = NULL, attempts = notice.attempts + 1, state_changed_at = %s FROM due WHERE notice.id = due.id RETURNING notice.id",
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
        assignments = ", ".join(f"{column_of(Notice, name)} = %s" for name in values)
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
    Notice.objects.filter(pk__in=mine).update(**values)
    return mine


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
