"""Celery tasks of the Art. 34 campaigns: they take ids, find their work in the ledger and are safe to run twice."""

from __future__ import annotations

import logging

from celery import shared_task
from django.utils import timezone

logger = logging.getLogger(__name__)

__all__ = [
    "build_print_batches",
    "purge_print_batches",
    "render_stale_print_batch",
    "send_notice_emails",
    "sweep_campaigns",
]


@shared_task(ignore_result=True, acks_late=True)
def build_print_batches(campaign_id: int) -> None:
    """Batch and render the campaign's pending letters; another worker running the same takes other letters."""
    from notifications import campaigns

    campaigns.build_print_batches(campaign_id=campaign_id)


@shared_task(ignore_result=True, acks_late=True)
def render_stale_print_batch(batch_id: int) -> None:
    """Render again a batch whose worker stopped: the same letters, never new ones."""
    from notifications import campaigns

    token = campaigns.claim_stale_batch(batch_id=batch_id)
    if token is not None:
        campaigns.render_print_batch(batch_id=batch_id, token=token)


@shared_task(ignore_result=True, acks_late=True)
def send_notice_emails(campaign_id: int) -> None:
    """Send the campaign's due emails; when some wait on a back-off, come back when the first is due."""
    from notifications import campaigns, delivery

    delivery.send_notice_emails(campaign_id=campaign_id)
    due_at = campaigns.next_email_attempt_at(campaign_id)
    if due_at is not None:
        countdown = max(1.0, (due_at - timezone.now()).total_seconds())
        send_notice_emails.apply_async((campaign_id,), countdown=countdown)


@shared_task(ignore_result=True)
def sweep_campaigns() -> None:
    """Beat: emails cut mid-send become unknown, stalled batches are rendered again, due work is woken."""
    from notifications import campaigns

    report = campaigns.sweep()
    for batch_id in report.stale_batches:
        render_stale_print_batch.delay(batch_id)
    for campaign_id in report.campaigns:
        build_print_batches.delay(campaign_id)
        send_notice_emails.delay(campaign_id)
    if report.unknown or report.stale_batches:
        logger.warning(
            "sweep: %s emails of unknown fate, %s batches re-queued", report.unknown, len(report.stale_batches)
        )


@shared_task(ignore_result=True)
def purge_print_batches() -> None:
    """Beat: delete the files of batches posted longer ago than the retention period."""
    from notifications import campaigns

    campaigns.purge_posted_batches()
