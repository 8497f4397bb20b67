"""Reminders: the Art. 33(1) deadline (24 h and 6 h before, once passed, each kind once) and, after a decision to
inform the data subjects (Art. 34(1)), one per interval while the campaign is not launched."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from breachdesk.formats import paris_datetime
from breachdesk.models import (
    BreachFile,
    Decision,
    DecisionKind,
    DecisionOutcome,
)
from notifications import emails
from notifications.models import Campaign, DeadlineReminder, EmailState, ObligationReminder, OutboundEmail
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


@dataclass(frozen=True)
class TimeLeft:
    """The time left to a deadline, counted once in whole minutes (rounded down) for the subject and the body."""

    hours: int
    minutes: int
    is_passed: bool

    @classmethod
    def of(cls, delta: timedelta) -> TimeLeft:
        # Rounded down: a reminder never promises more time than there is (2 h 59 min 40 s is "2 h 59").
        total_minutes = max(int(delta.total_seconds() // 60), 0)
        return cls(hours=total_minutes // 60, minutes=total_minutes % 60, is_passed=delta <= timedelta(0))

    @property
    def text(self) -> str:
        return f"{self.hours} h {self.minutes:02d}"


Reminder = TypeVar("Reminder", DeadlineReminder, ObligationReminder)


def file_reminder(
    model: type[Reminder], *, breach_file: BreachFile, email_kind: str, now: datetime, **fields: Any
) -> Reminder | None:
    """Write a reminder and its outbound email in one transaction; None when its unique row already exists."""
    try:
        with transaction.atomic():
            email = create_outbound_email(kind=email_kind, breach_file=breach_file, now=now)
            return model.objects.create(breach_file=breach_file, created_at=now, email=email, **fields)
    except IntegrityError:
        return None


def claim_reminder(model: type[Reminder], *, reminder_id: int, now: datetime) -> tuple[Reminder | None, bool]:
    """Load a reminder with its breach file and email, and claim its email: (reminder, True) when this worker sends it."""
    reminder = (
        model.objects.select_related("breach_file__incident", "breach_file__controller", "email")
        .filter(pk=reminder_id)
        .first()
    )
    if reminder is None:
        return None, False
    return reminder, claim_outbound_email(email_id=reminder.email_id, now=now)


def end_reminder(reminder: Reminder, *, now: datetime, state: str, error: str, give_up: bool = False) -> Reminder:
    """Record that a claimed reminder will not be sent (cancelled, or failed for good)."""
    finish_outbound_email(email_id=reminder.email_id, state=state, now=now, error=error, give_up=give_up)
    reminder.refresh_from_db()
    return reminder


def send_reminder(reminder: Reminder, *, message: EmailMessage, recipients: list[str], now: datetime) -> Reminder:
    """Send a claimed reminder's email and return the reminder as it now stands."""
    send_outbound_email(email_id=reminder.email_id, message=message, recipients=recipients, now=now)
    reminder.refresh_from_db()
    return reminder


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
        reminder = file_reminder(
            DeadlineReminder,
            breach_file=breach_file,
            email_kind=OutboundEmail.Kind.DEADLINE_REMINDER,
            now=now,
            kind=kind,
            deadline_at=breach_file.authority_deadline,
        )
        if reminder is None:
            continue
        created.append(reminder)
        enqueue(reminder_tasks.send_deadline_reminder, reminder.pk)
    return created


def send_deadline_reminder(*, reminder_id: int, now: datetime | None = None) -> DeadlineReminder | None:
    """Send one reminder to the lab's DPO and the group's compliance officers, at most once."""
    now = now or timezone.now()
    reminder, claimed = claim_reminder(DeadlineReminder, reminder_id=reminder_id, now=now)
    if reminder is None or not claimed:
        return reminder
    if reminder.kind == DeadlineReminder.Kind.INFORM:
        return _send_inform_reminder(reminder=reminder, now=now)
    breach_file = reminder.breach_file
    if not breach_file.is_awaiting_notification:
        return end_reminder(reminder, now=now, state=EmailState.CANCELLED, error="notified meanwhile")
    recipients = recipients_or_give_up(reminder=reminder, breach_file=breach_file, now=now)
    if not recipients:
        return reminder
    # Time left when the reminder fell due, counted once: the subject and the body say the same, even if a worker
    # picks it up late.
    time_left = TimeLeft.of(reminder.deadline_at - reminder.created_at)
    message = emails.deadline_reminder(
        context={
            "breach_file": breach_file,
            "reminder": reminder,
            "deadline": paris_datetime(reminder.deadline_at),
            "aware": paris_datetime(breach_file.became_aware_at),
            "time_left": time_left,
            "is_passed": reminder.kind == DeadlineReminder.Kind.PASSED or time_left.is_passed,
        },
        recipients=recipients,
    )
    return send_reminder(reminder, message=message, recipients=recipients, now=now)


def reminder_recipients(breach_file: BreachFile) -> list[str]:
    """The lab's DPO and the group's compliance officers, each address once."""
    return unique_addresses([*dpo_recipients(breach_file.controller), *compliance_recipients(breach_file.controller)])


def recipients_or_give_up(*, reminder: Reminder, breach_file: BreachFile, now: datetime) -> list[str]:
    """Return the reminder's recipients; with none, give its email up (a person sees why on the page)."""
    recipients = reminder_recipients(breach_file)
    if not recipients:
        end_reminder(reminder, now=now, state=EmailState.FAILED, error="no recipient address", give_up=True)
    return recipients


def inform_reminder_timing() -> tuple[timedelta, timedelta]:
    """The delay after the decision to inform before the first reminder, then the interval between reminders."""
    after = timedelta(hours=settings.INFORM_REMINDER_AFTER_HOURS)
    interval = timedelta(hours=settings.INFORM_REMINDER_INTERVAL_HOURS)
    if interval <= timedelta(0):
        raise ValueError("INFORM_REMINDER_INTERVAL_HOURS must be positive.")
    return after, interval


def due_inform_sequence(*, decided_at: datetime, now: datetime) -> int | None:
    """Return the number of the inform reminder due now (0 first), or None before the first is due."""
    after, interval = inform_reminder_timing()
    elapsed = now - (decided_at + after)
    if elapsed < timedelta(0):
        return None
    return int(elapsed / interval)


def decisions_awaiting_information(*, now: datetime) -> list[tuple[int, int, datetime]]:
    """(breach file, decision, decided at) where the current inform decision is to inform, made long enough ago,
    and no campaign is launched."""
    after, _interval = inform_reminder_timing()
    latest = Decision.objects.filter(breach_file=models.OuterRef("pk"), kind=DecisionKind.INFORM_SUBJECTS).order_by(
        "-decided_at", "-pk"
    )
    rows = (
        BreachFile.objects.filter(campaign__isnull=True)
        .annotate(
            inform_decision_id=models.Subquery(latest.values("pk")[:1]),
            inform_outcome=models.Subquery(latest.values("outcome")[:1]),
            inform_decided_at=models.Subquery(latest.values("decided_at")[:1]),
        )
        .filter(inform_outcome=DecisionOutcome.INFORM, inform_decided_at__lte=now - after)
        .order_by("pk")
        .values_list("pk", "inform_decision_id", "inform_decided_at")
    )
    return list(rows)


def schedule_inform_reminders(*, now: datetime) -> list[DeadlineReminder]:
    """Add the inform reminders due now and queue them; the unique ledger keeps each number to once per decision."""
    after, _interval = inform_reminder_timing()
    candidates = decisions_awaiting_information(now=now)
    existing = set(
        DeadlineReminder.objects.filter(
            kind=DeadlineReminder.Kind.INFORM, decision__in=[decision_id for _pk, decision_id, _at in candidates]
        ).values_list("decision_id", "sequence")
    )
    breach_files = BreachFile.objects.only("pk").in_bulk([pk for pk, _decision_id, _at in candidates])
    created = []
    for breach_file_id, decision_id, decided_at in candidates:
        # Only the latest number due: one missed while the beat was down is not sent late.
        sequence = due_inform_sequence(decided_at=decided_at, now=now)
        if sequence is None or (decision_id, sequence) in existing:
            continue
        reminder = file_reminder(
            DeadlineReminder,
            breach_file=breach_files[breach_file_id],
            email_kind=OutboundEmail.Kind.DEADLINE_REMINDER,
            now=now,
            kind=DeadlineReminder.Kind.INFORM,
            decision_id=decision_id,
            sequence=sequence,
            deadline_at=decided_at + after,
        )
        if reminder is None:
            continue
        created.append(reminder)
        enqueue(reminder_tasks.send_deadline_reminder, reminder.pk)
    return created


def _send_inform_reminder(*, reminder: DeadlineReminder, now: datetime) -> DeadlineReminder:
    breach_file = reminder.breach_file
    decision = (
        Decision.objects.filter(breach_file=breach_file, kind=DecisionKind.INFORM_SUBJECTS).latest_first().first()
    )
    launched = Campaign.objects.filter(breach_file=breach_file).exists()
    if launched or decision is None or decision.pk != reminder.decision_id:
        # Launched, or decided again, since the reminder fell due: nothing left to remind of this decision.
        return end_reminder(
            reminder,
            now=now,
            state=EmailState.CANCELLED,
            error="campaign launched meanwhile" if launched else "decision superseded",
        )
    recipients = recipients_or_give_up(reminder=reminder, breach_file=breach_file, now=now)
    if not recipients:
        return reminder
    # Counted once, when the reminder fell due: the subject and the body say the same.
    hours_waited = int((reminder.created_at - decision.decided_at).total_seconds() // 3600)
    message = emails.inform_reminder(
        context={
            "breach_file": breach_file,
            "reminder": reminder,
            "decided": paris_datetime(decision.decided_at),
            "hours_waited": hours_waited,
        },
        recipients=recipients,
    )
    return send_reminder(reminder, message=message, recipients=recipients, now=now)
