"""Tasks of the processor's notices to controllers (Art. 33(2))."""

from __future__ import annotations

from celery import shared_task


@shared_task(ignore_result=True, name="notifications.tasks.deliver_processor_notice")
def deliver_processor_notice(notice_id: int) -> None:
    """Render and send one processor notice to a controller."""
    from notifications.services import processor_notices

    processor_notices.deliver_processor_notice(notice_id=notice_id)
