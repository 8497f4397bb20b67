"""Reminders of the Art. 33(1) deadline: 24 h and 6 h before, and once it has passed; each kind once."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from breachdesk.formats import paris_datetime
from breachdesk.models import (
    BreachFile,
)
from notifications import emails
from notifications.models import DeadlineReminder, EmailState, OutboundEmail
from notifications.services.outbound import (
    claim_outbound_email,
    compliance_recipients,
    create_outbound_email,
    dpo_recipients,
    enqueue,
    finish_outbound_email,
    send_outbound_email,
    unique_addresses,
)
from notifications.tasks import reminders as reminder_tasks

REMINDER_LEADS = [
    (DeadlineReminder.Kind.PASSED, timedelta(0)),
    (DeadlineReminder.Kind.HOURS_6, timedelta(hours=6)),
    (DeadlineReminder.Kind.HOURS_24, timedelta(hours=24)),
]


def due_reminder(*, deadline: datetime, now: datetime) -> str | None:
    """Return the one reminder due now: the latest threshold crossed (a missed earlier one is not sent late)."""
    for kind, lead in REMINDER_LEADS:
        if now >= deadline - lead:
            return kind
    return None


def schedule_deadline_reminders(*, now: datetime) -> list[DeadlineReminder]:
    """Add the reminders due now to the ledger and queue them; the unique ledger keeps each to once."""
    created = []
    candidates = (
        BreachFile.objects.awaiting_notification()
        .filter(became_aware_at__lte=now - (timedelta(hours=72) - timedelta(hours=24)))
        .only("pk", "became_aware_at", "status", "authority_notified_at")
    )
    existing = set(DeadlineReminder.objects.filter(breach_file__in=candidates).values_list("breach_file_id", "kind"))
    for breach_file in candidates:
        kind = due_reminder(deadline=breach_file.authority_deadline, now=now)
        if kind is None or (breach_file.pk, kind) in existing:
            continue
        try:
            with transaction.atomic():
                email = create_outbound_email(
                    kind=OutboundEmail.Kind.DEADLINE_REMINDER, breach_file=breach_file, now=now
                )
                reminder = DeadlineReminder.objects.create(
                    breach_file=breach_file,
                    kind=kind,
                    deadline_at=breach_file.authority_deadline,
                    created_at=now,
                    email=email,
                )
        except IntegrityError:
            continue
        created.append(reminder)
        enqueue(reminder_tasks.send_deadline_reminder, reminder.pk)
    return created


def send_deadline_reminder(*, reminder_id: int, now: datetime | None = None) -> DeadlineReminder | None:
    """Send one reminder to the lab's DPO and the group's compliance officers, at most once."""
    now = now or timezone.now()
    reminder = (
        DeadlineReminder.objects.select_related("breach_file__incident", "breach_file__controller", "email")
        .filter(pk=reminder_id)
        .first()
    )
    if reminder is None or not claim_outbound_email(email_id=reminder.email_id, now=now):
        return reminder
    breach_file = reminder.breach_file
    if not breach_file.is_awaiting_notification:
        finish_outbound_email(
            email_id=reminder.email_id, state=EmailState.CANCELLED, now=now, error="notified meanwhile"
        )
        reminder.refresh_from_db()
        return reminder
    recipients = unique_addresses(
        [*dpo_recipients(breach_file.controller), *compliance_recipients(breach_file.controller)]
    )
    if not recipients:
        finish_outbound_email(
            email_id=reminder.email_id, state=EmailState.FAILED, now=now, error="no recipient address", give_up=True
        )
        reminder.refresh_from_db()
        return reminder
    # Time left when the reminder fell due: the message matches its kind even if a worker picks it up late.
    time_left = reminder.deadline_at - reminder.created_at
    message = emails.deadline_reminder(
        context={
            "breach_file": breach_file,
            "reminder": reminder,
            "deadline": paris_datetime(reminder.deadline_at),
            "aware": paris_datetime(breach_file.became_aware_at),
            "hours_left": max(int(time_left.total_seconds() // 3600), 0),
            "minutes_left": max(int(time_left.total_seconds() // 60) % 60, 0),
            "is_passed": reminder.kind == DeadlineReminder.Kind.PASSED,
        },
        recipients=recipients,
    )
    send_outbound_email(email_id=reminder.email_id, message=message, recipients=recipients, now=now)
    reminder.refresh_from_db()
    return reminder
