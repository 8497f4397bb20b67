"""Tasks of the Art. 34 campaigns: they take ids, find their work in the ledger and are safe to run twice."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone


@shared_task(ignore_result=True, acks_late=True, name="notifications.campaign_tasks.build_print_batches")
def build_print_batches(campaign_id: int) -> None:
    """Batch and render the campaign's pending letters; another worker running the same takes other letters."""
    from notifications.services import mailroom

    mailroom.build_print_batches(campaign_id=campaign_id)


@shared_task(ignore_result=True, acks_late=True, name="notifications.campaign_tasks.render_stale_print_batch")
def render_stale_print_batch(batch_id: int) -> None:
    """Render again a batch whose worker stopped: the same letters, never new ones."""
    from notifications.services import mailroom

    token = mailroom.claim_stale_batch(batch_id=batch_id)
    if token is not None:
        mailroom.render_print_batch(batch_id=batch_id, token=token)


@shared_task(ignore_result=True, acks_late=True, name="notifications.campaign_tasks.send_notice_emails")
def send_notice_emails(campaign_id: int) -> None:
    """Send the campaign's due emails; when some wait on a back-off, come back when the first is due."""
    from notifications.services import ledger, sending

    sending.send_notice_emails(campaign_id=campaign_id)
    due_at = ledger.next_email_attempt_at(campaign_id)
    if due_at is not None:
        countdown = max(1.0, (due_at - timezone.now()).total_seconds())
        send_notice_emails.apply_async((campaign_id,), countdown=countdown)


@shared_task(ignore_result=True, name="notifications.campaign_tasks.purge_print_batches")
def purge_print_batches() -> None:
    """Beat: delete the files of batches posted longer ago than the retention period."""
    from notifications.services import mailroom

    mailroom.purge_posted_batches()


@shared_task(ignore_result=True, acks_late=True, name="notifications.campaign_tasks.fill_campaign")
def fill_campaign(campaign_id: int, user_id: int | None) -> None:
    """Fill a launched campaign's ledger with what is missing; a failure shows on the campaign page."""
    from breachdesk.models import User
    from notifications.services import campaigns

    user = User.objects.filter(pk=user_id).first() if user_id else None
    campaigns.fill_campaign(campaign_id=campaign_id, user=user)
