"""Periodic sweeps: take back work a stopped worker left, queue again what lost its wake-up."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from notifications.models import (
    Channel,
    DeadlineReminder,
    EmailState,
    Filing,
    Notice,
    NoticeState,
    PrintBatch,
    ProcessorNotice,
)
from notifications.services.ledger import transition
from notifications.services.outbound import CLAIM_TIMEOUT, MAX_ATTEMPTS, REQUEUE_AFTER, enqueue
from notifications.tasks import filings as filing_tasks
from notifications.tasks import processor_notices as processor_notice_tasks
from notifications.tasks import reminders as reminder_tasks


def sweep_outbound_emails(*, now: datetime) -> dict[str, int]:
    """Processor notices, reminders, dossiers: queue again what lost its wake-up message; mark unknown what a dead worker left mid-send."""
    stale = now - CLAIM_TIMEOUT
    counts = {
        "reminders_unknown": DeadlineReminder.objects.filter(state=EmailState.SENDING, claimed_at__lt=stale).update(
            state=EmailState.UNKNOWN, last_error="worker stopped while sending"
        ),
        "notices_unknown": ProcessorNotice.objects.filter(email_state=EmailState.SENDING, claimed_at__lt=stale).update(
            email_state=EmailState.UNKNOWN, last_error="worker stopped while sending"
        ),
    }
    retry = Q(state=EmailState.PENDING, created_at__lt=now - REQUEUE_AFTER) | Q(
        state=EmailState.FAILED, attempts__lt=MAX_ATTEMPTS
    )
    reminder_ids = list(DeadlineReminder.objects.filter(retry).values_list("pk", flat=True))
    for reminder_id in reminder_ids:
        enqueue(reminder_tasks.send_deadline_reminder, reminder_id)
    notice_ids = list(
        ProcessorNotice.objects.filter(
            Q(email_state=EmailState.PENDING, prepared_at__lt=now - REQUEUE_AFTER)
            | Q(email_state=EmailState.FAILED, attempts__lt=MAX_ATTEMPTS)
        ).values_list("pk", flat=True)
    )
    for notice_id in notice_ids:
        enqueue(processor_notice_tasks.deliver_processor_notice, notice_id)
    filing_ids = list(
        Filing.objects.filter(state=Filing.State.PENDING, prepared_at__lt=now - REQUEUE_AFTER).values_list(
            "pk", flat=True
        )
    )
    for filing_id in filing_ids:
        enqueue(filing_tasks.generate_filing_dossier, filing_id)
    counts.update(
        reminders_requeued=len(reminder_ids), notices_requeued=len(notice_ids), filings_requeued=len(filing_ids)
    )
    return counts


@dataclass
class SweepReport:
    unknown: int = 0
    released: int = 0
    stale_batches: list[int] = field(default_factory=list)
    campaigns: list[int] = field(default_factory=list)


def sweep_ledger(*, now: datetime | None = None) -> SweepReport:
    """The notice ledger: find what stopped workers left: emails cut mid-send become unknown, stalled batches and due work are re-queued."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.NOTICE_CLAIM_TIMEOUT_SECONDS)
    report = SweepReport()
    # A worker that stopped while its rows were "sending" may have delivered some: a person decides (STYLE.md).
    report.unknown = len(
        transition(
            notices=Notice.objects.filter(channel=Channel.EMAIL, state=NoticeState.SENDING, claimed_at__lt=stale),
            from_states=[NoticeState.SENDING],
            to_state=NoticeState.UNKNOWN,
            at=now,
            error="worker stopped during sending",
            last_error="worker stopped during sending",
            claim_token=None,
        )
    )
    report.stale_batches = list(
        PrintBatch.objects.filter(state=PrintBatch.State.RENDERING)
        .filter(Q(claimed_at__lt=stale) | Q(claimed_at__isnull=True))
        .values_list("pk", flat=True)
    )
    due = Notice.objects.filter(state=NoticeState.PENDING).filter(
        Q(channel=Channel.POST, batch__isnull=True)
        | Q(channel=Channel.EMAIL, next_attempt_at__isnull=True)
        | Q(channel=Channel.EMAIL, next_attempt_at__lte=now)
    )
    report.campaigns = sorted(set(due.values_list("campaign_id", flat=True).distinct()))
    return report
