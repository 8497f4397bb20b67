"""Celery tasks of the notifications: they take ids, run after commit, and are safe to run twice."""

from __future__ import annotations

from datetime import datetime

from celery import shared_task
from django.utils import timezone


def _moment(now: str | None) -> datetime:
    return datetime.fromisoformat(now) if now else timezone.now()


@shared_task(ignore_result=True)
def generate_filing_dossier(filing_id: int) -> None:
    """Render a filing's PDF dossier."""
    from notifications import services

    services.generate_filing_dossier(filing_id=filing_id)


@shared_task(ignore_result=True)
def deliver_processor_notice(notice_id: int) -> None:
    """Render and send one processor notice to a controller."""
    from notifications import services

    services.deliver_processor_notice(notice_id=notice_id)


@shared_task(ignore_result=True)
def send_deadline_reminder(reminder_id: int) -> None:
    """Send one deadline reminder."""
    from notifications import services

    services.send_deadline_reminder(reminder_id=reminder_id)


@shared_task(ignore_result=True)
def send_deadline_reminders(now: str | None = None) -> None:
    """Beat: add the reminders due now to the ledger and sweep what a stopped worker left."""
    from notifications import services

    moment = _moment(now)
    services.schedule_deadline_reminders(now=moment)
    services.sweep(now=moment)


from notifications.campaign_tasks import *  # noqa: E402, F403
