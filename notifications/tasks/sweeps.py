"""Beat: the one sweep of what stopped workers left (outbound emails, dossiers, the ledger, print batches)."""

from __future__ import annotations

import logging

from celery import shared_task

from notifications.tasks.campaigns import build_print_batches, render_stale_print_batch, send_notice_emails

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True, name="notifications.campaign_tasks.sweep_campaigns")
def sweep() -> None:
    """Beat: emails cut mid-send become unknown, stalled batches are rendered again, due work is woken."""
    from notifications.services import sweeps

    outbound, report = sweeps.sweep()
    for batch_id in report.stale_batches:
        render_stale_print_batch.delay(batch_id)
    for campaign_id in report.campaigns:
        build_print_batches.delay(campaign_id)
        send_notice_emails.delay(campaign_id)
    if report.unknown or report.stale_batches or outbound["unknown"]:
        logger.warning(
            "sweep: %s notice emails and %s other emails of unknown fate, %s batches re-queued",
            report.unknown,
            outbound["unknown"],
            len(report.stale_batches),
        )
