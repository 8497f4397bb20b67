"""Emails to professionals (processor notices, reminders): one record, one claim, one retry policy, one log.

The policy is the ledger's, from settings: NOTICE_EMAIL_MAX_ATTEMPTS attempts, NOTICE_RETRY_BACKOFF_SECONDS between
them, NOTICE_CLAIM_TIMEOUT_SECONDS before a claimed email counts as left mid-send (its fate is then unknown).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.db.models import F
from django.utils import timezone

from breachdesk.models import BreachFile, Organisation, Role, User
from notifications import delivery
from notifications.models import EmailState, OutboundEmail, OutboundEmailEvent

logger = logging.getLogger(__name__)


def max_attempts() -> int:
    return int(settings.NOTICE_EMAIL_MAX_ATTEMPTS)


def retry_delay(attempts: int) -> timedelta:
    """Back off after a transient error: the configured steps, the last one repeated."""
    steps: list[int] = list(settings.NOTICE_RETRY_BACKOFF_SECONDS)
    return timedelta(seconds=steps[min(max(attempts, 1), len(steps)) - 1])


def claim_timeout() -> timedelta:
    return timedelta(seconds=settings.NOTICE_CLAIM_TIMEOUT_SECONDS)


def requeue_after() -> timedelta:
    return timedelta(seconds=settings.NOTICE_REQUEUE_AFTER_SECONDS)


def enqueue(task: Any, *args: object) -> None:
    """Queue a task once the current transaction commits (Redis only wakes workers up)."""
    task.delay_on_commit(*args)


def unique_addresses(addresses: Iterable[str]) -> list[str]:
    """Return the addresses once each (case-insensitively), in their first order, blanks dropped."""
    seen: dict[str, str] = {}
    for address in addresses:
        cleaned = address.strip()
        if cleaned:
            seen.setdefault(cleaned.lower(), cleaned)
    return list(seen.values())


def dpo_recipients(organisation: Organisation) -> list[str]:
    """Return the controller's DPO address and its DPO users' addresses."""
    users = User.objects.filter(role=Role.DPO, organisation=organisation, is_active=True).exclude(email="")
    return unique_addresses([organisation.dpo_email, *users.order_by("pk").values_list("email", flat=True)])


def compliance_recipients(organisation: Organisation) -> list[str]:
    """Return the addresses of the compliance officers of the controller's group."""
    if organisation.group_id is None:
        return []
    users = User.objects.filter(role=Role.COMPLIANCE_OFFICER, group_id=organisation.group_id, is_active=True)
    return unique_addresses(users.exclude(email="").order_by("pk").values_list("email", flat=True))


def create_outbound_email(*, kind: str, breach_file: BreachFile, now: datetime) -> OutboundEmail:
    """Record an email to send (pending); the caller queues its task after commit."""
    return OutboundEmail.objects.create(kind=kind, breach_file=breach_file, created_at=now)


def _log(email_id: int, *, from_state: str, to_state: str, at: datetime, attempt: int, error: str = "") -> None:
    OutboundEmailEvent.objects.create(
        email_id=email_id, from_state=from_state, to_state=to_state, at=at, attempt=attempt, error=error
    )


def claim_outbound_email(*, email_id: int, now: datetime) -> bool:
    """Take the email for this worker by conditional update: of two workers, one sends; attempts are bounded."""
    with transaction.atomic():
        claimable = (
            OutboundEmail.objects.filter(pk=email_id)
            .claimable(now=now, max_attempts=max_attempts())
            .values_list("state", "attempts")
        )
        previous = claimable.first()
        if previous is None:
            return False
        claimed = OutboundEmail.objects.filter(pk=email_id, state=previous[0], attempts=previous[1]).update(
            state=EmailState.SENDING, attempts=F("attempts") + 1, claimed_at=now, next_attempt_at=None
        )
        if claimed:
            _log(email_id, from_state=previous[0], to_state=EmailState.SENDING, at=now, attempt=previous[1] + 1)
    return bool(claimed)


def finish_outbound_email(
    *,
    email_id: int,
    state: str,
    now: datetime,
    error: str = "",
    recipients: list[str] | None = None,
    give_up: bool = False,
) -> OutboundEmail:
    """Record what became of a claimed email; a failure before sending backs off, or has no next attempt if given up."""
    with transaction.atomic():
        email = OutboundEmail.objects.select_for_update().get(pk=email_id)
        values: dict[str, Any] = {"state": state, "last_error": error}
        if recipients is not None:
            values["recipients"] = recipients
        if state == EmailState.SENT:
            values["sent_at"] = now
        if state == EmailState.FAILED:
            values["next_attempt_at"] = None if give_up else now + retry_delay(email.attempts)
        OutboundEmail.objects.filter(pk=email_id).update(**values)
        _log(email_id, from_state=email.state, to_state=state, at=now, attempt=email.attempts, error=error)
        email.refresh_from_db()
    return email


def send_outbound_email(*, email_id: int, message: Any, recipients: list[str], now: datetime) -> OutboundEmail:
    """Send the claimed email once and record its outcome (sent, failed before sending, or unknown)."""
    outcome = delivery.send_message(message)
    # The outcome's moment is when the server answered: for a processor notice, when the controller was told.
    return finish_outbound_email(
        email_id=email_id, state=outcome.state, now=timezone.now(), error=outcome.error, recipients=recipients
    )


def requeueable(prefix: str = "") -> models.Q:
    """The failed emails a person may try again: not given up (no address to send to), attempts left.

    `prefix` reaches the email through a relation ("email__" from a processor notice).
    """
    return models.Q(
        **{
            f"{prefix}state": EmailState.FAILED,
            f"{prefix}attempts__lt": max_attempts(),
            f"{prefix}next_attempt_at__isnull": False,
        }
    )


def requeue_outbound_email(*, email_id: int, now: datetime | None = None) -> bool:
    """A person asks for another attempt of a failed email: due now, back-off waived (attempts stay bounded).

    An email given up (no next attempt: no address to send to) is not taken up again.
    """
    return bool(OutboundEmail.objects.filter(requeueable(), pk=email_id).update(next_attempt_at=now or timezone.now()))


def mark_stalled_unknown(*, now: datetime) -> int:
    """Emails left "sending" by a stopped worker: they may have left, so a person decides (never resent)."""
    stalled = list(
        OutboundEmail.objects.stalled(claimed_before=now - claim_timeout()).values_list("pk", "state", "attempts")
    )
    moved = 0
    for email_id, state, attempts in stalled:
        if OutboundEmail.objects.filter(pk=email_id, state=state).update(
            state=EmailState.UNKNOWN, last_error="worker stopped while sending"
        ):
            _log(
                email_id,
                from_state=state,
                to_state=EmailState.UNKNOWN,
                at=now,
                attempt=attempts,
                error="worker stopped while sending",
            )
            moved += 1
    return moved


def outbound_emails_to_retry(*, now: datetime) -> list[tuple[str, int | None, int | None, int | None]]:
    """Return (kind, processor notice id, reminder id, obligation reminder id) of the emails whose wake-up was lost
    or whose attempt is due."""
    return list(
        OutboundEmail.objects.to_retry(
            now=now, created_before=now - requeue_after(), max_attempts=max_attempts()
        ).values_list("kind", "processor_notice__pk", "reminder__pk", "obligation_reminder__pk")
    )
