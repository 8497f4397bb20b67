"""Tasks of the CNIL filings."""

from __future__ import annotations

from celery import shared_task


@shared_task(ignore_result=True)
def generate_filing_dossier(filing_id: int) -> None:
    """Render a filing's PDF dossier."""
    from notifications.services import filings

    filings.generate_filing_dossier(filing_id=filing_id)
