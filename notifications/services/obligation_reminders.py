"""Reminders of the obligations besides the CNIL filing (DOMAIN.md section 11): before each phase falls due and
once it has passed, each kind once per phase of a breach file."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from breachdesk.formats import paris_datetime
from breachdesk.models import BreachFile
from breachdesk.obligations.selectors import ObligationPhase, PhaseState, obligations_of_breach_file
from breachdesk.taxonomy import Status
from notifications import emails
from notifications.models import DeadlineReminder, EmailState, ObligationReminder, OutboundEmail
from notifications.services.outbound import enqueue
from notifications.services.reminders import (
    TimeLeft,
    claim_reminder,
    end_reminder,
    file_reminder,
    recipients_or_give_up,
    send_reminder,
)
from notifications.tasks import reminders as reminder_tasks

# Art. 33(1) has its own reminders (services.reminders): the same deadline is never reminded twice.
REMINDED_ELSEWHERE = {"gdpr_art33"}
KIND_OF_LEAD = {24: DeadlineReminder.Kind.HOURS_24, 6: DeadlineReminder.Kind.HOURS_6}


def due_kind(*, row: ObligationPhase, now: datetime) -> str | None:
    """Return the one reminder due now for a phase: the latest threshold crossed (a missed one is not sent late)."""
    if row.due_at is None:
        return None
    if now >= row.due_at:
        return DeadlineReminder.Kind.PASSED
    for hours in sorted(row.regime.reminder_hours):
        if hours in KIND_OF_LEAD and now >= row.due_at - timedelta(hours=hours):
            return KIND_OF_LEAD[hours]
    return None


def _is_open(row: ObligationPhase) -> bool:
    return row.applies is True and row.due_at is not None and row.state in (PhaseState.DUE, PhaseState.LATE)


def schedule_obligation_reminders(*, now: datetime) -> list[ObligationReminder]:
    """Add the reminders due now to the ledger and queue them; the unique row keeps each to once."""
    breach_files = list(
        BreachFile.objects.exclude(status=Status.CLOSED).select_related("incident", "controller").order_by("pk")
    )
    existing = set(
        ObligationReminder.objects.filter(breach_file__in=breach_files).values_list(
            "breach_file_id", "regime", "phase", "kind"
        )
    )
    created = []
    for breach_file in breach_files:
        for row in obligations_of_breach_file(breach_file=breach_file, now=now):
            if row.regime.code in REMINDED_ELSEWHERE or not _is_open(row):
                continue
            kind = due_kind(row=row, now=now)
            if kind is None or (breach_file.pk, row.regime.code, row.phase.code, kind) in existing:
                continue
            assert row.due_at is not None
            reminder = file_reminder(
                ObligationReminder,
                breach_file=breach_file,
                email_kind=OutboundEmail.Kind.OBLIGATION_REMINDER,
                now=now,
                regime=row.regime.code,
                phase=row.phase.code,
                kind=kind,
                deadline_at=row.due_at,
            )
            if reminder is None:
                continue
            created.append(reminder)
            enqueue(reminder_tasks.send_obligation_reminder, reminder.pk)
    return created


def send_obligation_reminder(*, reminder_id: int, now: datetime | None = None) -> ObligationReminder | None:
    """Send one reminder to the lab's DPO and the group's compliance officers, at most once."""
    now = now or timezone.now()
    reminder, claimed = claim_reminder(ObligationReminder, reminder_id=reminder_id, now=now)
    if reminder is None or not claimed:
        return reminder
    breach_file = reminder.breach_file
    row = next(
        (
            candidate
            for candidate in obligations_of_breach_file(breach_file=breach_file, now=now)
            if (candidate.regime.code, candidate.phase.code) == (reminder.regime, reminder.phase)
        ),
        None,
    )
    if row is None or not _is_open(row):
        return end_reminder(reminder, now=now, state=EmailState.CANCELLED, error="done or not applicable meanwhile")
    recipients = recipients_or_give_up(reminder=reminder, breach_file=breach_file, now=now)
    if not recipients:
        return reminder
    # Counted once, when the reminder fell due: the subject and the body say the same.
    time_left = TimeLeft.of(reminder.deadline_at - reminder.created_at)
    message = emails.obligation_reminder(
        context={
            "breach_file": breach_file,
            "reminder": reminder,
            "regime": row.regime,
            "phase": row.phase,
            "deadline": paris_datetime(reminder.deadline_at),
            "time_left": time_left,
            "is_passed": reminder.kind == DeadlineReminder.Kind.PASSED or time_left.is_passed,
        },
        recipients=recipients,
    )
    return send_reminder(reminder, message=message, recipients=recipients, now=now)
