"""Send a campaign's due emails: claim a window, compose, send, record; overlapped, at most two windows out."""

from __future__ import annotations

import contextlib
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.mail.message import EmailMessage
from django.utils import timezone

from notifications.delivery import SenderPool, Sending
from notifications.emails import Composer
from notifications.models import Campaign
from notifications.services.ledger import Claim, Outcome, claim_emails, record_email_outcomes

logger = logging.getLogger(__name__)


def send_notice_emails(
    *,
    campaign_id: int,
    window: int | None = None,
    pool: SenderPool | None = None,
    max_windows: int | None = None,
    on_window: Callable[[Claim], None] | None = None,
) -> Counter[str]:
    """Claim, send and record due emails of a campaign until none is due; return the counts per resulting state.

    The database work overlaps the sending: while the pool sends one window, this thread claims and composes the
    next, then records the one just sent while the next goes out. So at most two windows per process are claimed
    at once, and a process killed mid-campaign leaves at most two windows of unknown fate.
    """
    campaign = Campaign.objects.select_related("breach_file__controller", "breach_file__incident").get(pk=campaign_id)
    composer = Composer(campaign)
    window = window or settings.NOTICE_EMAIL_WINDOW
    owned = pool is None
    pool = pool or SenderPool()
    totals: Counter[str] = Counter()
    windows = 0
    in_flight: _Window | None = None
    try:
        while max_windows is None or windows < max_windows:
            claim = claim_emails(campaign_id=campaign_id, limit=window)
            if claim is None:
                break
            windows += 1
            if on_window is not None:
                on_window(claim)
            messages: list[tuple[int, EmailMessage]] = []
            outcomes: dict[int, tuple[str, str]] = {}
            for notice in claim.notices:
                try:
                    messages.append((notice.pk, composer.message(notice)))
                except Exception as error:  # e.g. a row that fails decryption: never guess, stop on it
                    outcomes[notice.pk] = (Outcome.PERMANENT, f"could not compose: {type(error).__name__}")
            sent, in_flight = in_flight, None
            if sent is not None:
                sent.collect()
            in_flight = _Window(claim=claim, outcomes=outcomes, sending=pool.submit(messages))
            if sent is not None:
                totals.update(sent.record())
        if in_flight is not None:
            last, in_flight = in_flight, None
            last.collect()
            totals.update(last.record())
    finally:
        if in_flight is not None:
            # Something failed here: let the window out of the pool finish and record it if the database still can.
            with contextlib.suppress(Exception):
                in_flight.collect()
                in_flight.record()
        if owned:
            pool.close()
    if totals:
        logger.info("campaign %s emails: %s", campaign_id, dict(totals))
    return totals


@dataclass
class _Window:
    """A claimed window whose messages the pool is sending."""

    claim: Claim
    outcomes: dict[int, tuple[str, str]]
    sending: Sending

    def collect(self) -> None:
        """Wait for the pool's outcome of every message of the window."""
        self.outcomes.update(self.sending.result())

    def record(self) -> Counter[str]:
        """Record the window's outcomes in the ledger; return the counts per resulting state."""
        return record_email_outcomes(claim=self.claim, outcomes=self.outcomes, now=timezone.now())
