"""Tasks of the CNIL filings."""

from __future__ import annotations

from celery import shared_task


@shared_task(ignore_result=True, name="notifications.tasks.generate_filing_dossier")
def generate_filing_dossier(filing_id: int) -> None:
    """Render a filing's PDF dossier."""
    from notifications.services import filings

    filings.generate_filing_dossier(filing_id=filing_id)
