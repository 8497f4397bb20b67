"""Tasks of the reminders (deadlines, persons not yet informed)."""

from __future__ import annotations

from datetime import datetime

from celery import shared_task
from django.utils import timezone


@shared_task(ignore_result=True, name="notifications.tasks.send_deadline_reminder")
def send_deadline_reminder(reminder_id: int) -> None:
    """Send one deadline reminder."""
    from notifications.services import reminders

    reminders.send_deadline_reminder(reminder_id=reminder_id)


@shared_task(ignore_result=True, name="notifications.tasks.send_deadline_reminders")
def send_deadline_reminders(now: str | None = None) -> None:
    """Beat: add the reminders due now (Art. 33(1) deadlines, Art. 34 persons not yet informed) and queue them."""
    from notifications.services import reminders

    moment = datetime.fromisoformat(now) if now else timezone.now()
    reminders.schedule_deadline_reminders(now=moment)
    reminders.schedule_inform_reminders(now=moment)


@shared_task(ignore_result=True, name="notifications.tasks.send_obligation_reminders")
def send_obligation_reminders(now: str | None = None) -> None:
    """Beat: add the reminders due now of the other obligations (ARS, complaint, NIS2, insurer) and queue them."""
    from notifications.services import obligation_reminders

    moment = datetime.fromisoformat(now) if now else timezone.now()
    obligation_reminders.schedule_obligation_reminders(now=moment)


@shared_task(ignore_result=True, name="notifications.tasks.send_obligation_reminder")
def send_obligation_reminder(reminder_id: int) -> None:
    """Send one reminder of an obligation phase."""
    from notifications.services import obligation_reminders

    obligation_reminders.send_obligation_reminder(reminder_id=reminder_id)
