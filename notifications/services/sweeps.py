"""Periodic sweeps: take back work a stopped worker left, queue again what lost its wake-up."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from notifications.models import (
    Channel,
    Filing,
    Notice,
    NoticeState,
    OutboundEmail,
    PrintBatch,
)
from notifications.services.information import record_informed_breach_files
from notifications.services.ledger import transition
from notifications.services.outbound import enqueue, mark_stalled_unknown, outbound_emails_to_retry, requeue_after
from notifications.tasks import filings as filing_tasks
from notifications.tasks import processor_notices as processor_notice_tasks
from notifications.tasks import reminders as reminder_tasks


def sweep_outbound_emails(*, now: datetime) -> dict[str, int]:
    """Processor notices, reminders, dossiers: mark unknown what a dead worker left mid-send, queue again the rest."""
    counts = {"unknown": mark_stalled_unknown(now=now)}
    requeued = 0
    for kind, notice_id, reminder_id, obligation_reminder_id in outbound_emails_to_retry(now=now):
        if kind == OutboundEmail.Kind.PROCESSOR_NOTICE and notice_id is not None:
            enqueue(processor_notice_tasks.deliver_processor_notice, notice_id)
        elif kind == OutboundEmail.Kind.DEADLINE_REMINDER and reminder_id is not None:
            enqueue(reminder_tasks.send_deadline_reminder, reminder_id)
        elif kind == OutboundEmail.Kind.OBLIGATION_REMINDER and obligation_reminder_id is not None:
            enqueue(reminder_tasks.send_obligation_reminder, obligation_reminder_id)
        else:
            continue
        requeued += 1
    filing_ids = list(
        Filing.objects.filter(state=Filing.State.PENDING, prepared_at__lt=now - requeue_after()).values_list(
            "pk", flat=True
        )
    )
    for filing_id in filing_ids:
        enqueue(filing_tasks.generate_filing_dossier, filing_id)
    counts.update(emails_requeued=requeued, filings_requeued=len(filing_ids))
    return counts


def sweep(*, now: datetime | None = None) -> tuple[dict[str, int], SweepReport]:
    """The one periodic sweep: outbound emails and dossiers, then the notice ledger and its print batches."""
    now = now or timezone.now()
    outbound, ledger = sweep_outbound_emails(now=now), sweep_ledger(now=now)
    outbound["breach_files_informed"] = record_informed_breach_files(now=now)
    return outbound, ledger


@dataclass
class SweepReport:
    unknown: int = 0
    released: int = 0
    stale_batches: list[int] = field(default_factory=list)
    campaigns: list[int] = field(default_factory=list)


def sweep_ledger(*, now: datetime | None = None) -> SweepReport:
    """The notice ledger: what stopped workers left: emails cut mid-send become unknown, the others and batches go again."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.NOTICE_CLAIM_TIMEOUT_SECONDS)
    report = SweepReport()
    # A live worker refreshes its claims' heartbeat; a stale one means it stopped (or lost the database).
    dead = now - timedelta(seconds=settings.NOTICE_CLAIM_HEARTBEAT_TIMEOUT_SECONDS)
    abandoned = Notice.objects.filter(channel=Channel.EMAIL).filter(
        Q(claim_heartbeat_at__lt=dead) | Q(claim_heartbeat_at__isnull=True, claimed_at__lt=dead)
    )
    # Accepted by the server (the fence noted when), the window's record lost with its worker: sent.
    transition(
        notices=abandoned.filter(sent_at__isnull=False),
        from_states=[NoticeState.SENDING],
        to_state=NoticeState.SENT,
        at=now,
        error="recorded after the worker stopped",
        claim_token=None,
        handed_at=None,
    )
    # Never handed to the SMTP server: nothing of them left, another worker sends them normally.
    report.released = len(
        transition(
            notices=abandoned.filter(handed_at__isnull=True, sent_at__isnull=True),
            from_states=[NoticeState.SENDING],
            to_state=NoticeState.PENDING,
            at=now,
            error="worker stopped before handing it to the server",
            claim_token=None,
            next_attempt_at=None,
            attempts=F("attempts") - 1,
        )
    )
    # Handed to the server, no answer recorded: it may have been delivered, a person decides (STYLE.md). The claim's
    # token stays, so a worker that was only slow can still record what the server answered.
    report.unknown = len(
        transition(
            notices=abandoned.filter(handed_at__isnull=False, sent_at__isnull=True),
            from_states=[NoticeState.SENDING],
            to_state=NoticeState.UNKNOWN,
            at=now,
            error="worker stopped during sending",
            last_error="worker stopped during sending",
        )
    )
    # Marked sent by an earlier version's fence, the window's record lost with its worker: finish it.
    transition(
        notices=Notice.objects.filter(channel=Channel.EMAIL, claim_token__isnull=False, claimed_at__lt=stale),
        from_states=[NoticeState.SENT],
        to_state=NoticeState.SENT,
        at=now,
        error="recorded after the worker stopped",
        claim_token=None,
        handed_at=None,
    )
    report.stale_batches = list(
        PrintBatch.objects.filter(state=PrintBatch.State.RENDERING)
        .filter(Q(claimed_at__lt=stale) | Q(claimed_at__isnull=True))
        .values_list("pk", flat=True)
    )
    due = Notice.objects.due_emails(now=now) | Notice.objects.unbatched_letters()
    report.campaigns = sorted(set(due.values_list("campaign_id", flat=True).distinct()))
    return report
