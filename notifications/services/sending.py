"""Send a campaign's due emails: claim a window, compose, send each message once fenced, record; overlapped."""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail.message import EmailMessage
from django.db import connection
from django.utils import timezone

from breachdesk.crypto import UnreadableData
from notifications.delivery import SenderPool, Sending
from notifications.emails import Composer
from notifications.models import Campaign
from notifications.services.ledger import (
    UNREADABLE_ERROR,
    Claim,
    Outcome,
    claim_emails,
    hand_over,
    record_email_outcomes,
    refresh_claims,
)

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
    next, then records the one just sent while the next goes out. Each message goes out only once it is fenced (the
    claim still holds; the row is marked handed to the server; see _Fence for which thread runs the statement) and
    the heartbeat of the claims is refreshed while waiting, so a process killed mid-campaign leaves unknown only the
    messages in flight, one per connection; the sweep sends the rest again.
    """
    campaign = Campaign.objects.select_related("breach_file__controller", "breach_file__incident").get(pk=campaign_id)
    composer = Composer(campaign)
    window = window or settings.NOTICE_EMAIL_WINDOW
    owned = pool is None
    pool = pool or SenderPool()
    totals: Counter[str] = Counter()
    windows = 0
    in_flight: _Window | None = None
    heartbeat = _Heartbeat(campaign_id=campaign_id)
    # Committed claims can be fenced from the connections' own threads (see _Fence).
    direct = connection.vendor == "postgresql" and not connection.in_atomic_block
    try:
        while max_windows is None or windows < max_windows:
            claim = claim_emails(campaign_id=campaign_id, limit=window)
            if claim is None:
                break
            windows += 1
            heartbeat.tokens.add(claim.token)
            if on_window is not None:
                on_window(claim)
            messages: list[tuple[int, EmailMessage]] = []
            outcomes: dict[int, tuple[str, str]] = {}
            for notice in claim.notices:
                if in_flight is not None and not in_flight.fence.direct:
                    # The window in flight waits on its fence before each message: answer it between two messages.
                    in_flight.fence.serve(timeout=0)
                try:
                    messages.append((notice.pk, composer.message(notice)))
                except UnreadableData:
                    # That person fails alone: the state a DPO sees on the campaign page, never retried.
                    outcomes[notice.pk] = (Outcome.UNREADABLE, UNREADABLE_ERROR)
                except Exception as error:  # never guess, stop on it
                    outcomes[notice.pk] = (Outcome.PERMANENT, f"could not compose: {type(error).__name__}")
            # The window in flight stays in_flight until its outcomes are in, so a failure here still records it.
            sent = in_flight
            if sent is not None:
                sent.collect(heartbeat)
            fence = _Fence(claim, direct=direct)
            in_flight = _Window(claim=claim, outcomes=outcomes, fence=fence, sending=pool.submit(messages, fence))
            if sent is not None:
                totals.update(sent.record(heartbeat))
        if in_flight is not None:
            in_flight.collect(heartbeat)
            last, in_flight = in_flight, None
            totals.update(last.record(heartbeat))
    finally:
        if in_flight is not None:
            # Something failed here: send nothing more, let the pool finish and record the window if the database can.
            in_flight.fence.close()
            with contextlib.suppress(Exception):
                in_flight.collect(heartbeat)
                in_flight.record(heartbeat)
        if owned:
            pool.close()
    if totals:
        logger.info("campaign %s emails: %s", campaign_id, dict(totals))
    return totals


class _Fence:
    """The gate of one window: a connection asks before each message and goes only once the database says so.

    On PostgreSQL, outside a transaction (a worker), each connection's thread runs its fence statement on its own
    database connection, so the connections of a window are fenced side by side, never waiting on each other. Inside
    a transaction (a test), or on SQLite (one writer), the claim's thread answers them from its connection, in one
    statement when they ask together.
    """

    def __init__(self, claim: Claim, *, direct: bool = False) -> None:
        self.claim = claim
        self.direct = direct
        self.is_lost = False
        self._is_closed = False
        self._lock = threading.Lock()
        self._requests: queue.SimpleQueue[tuple[int | None, dict[int, str], threading.Event, list[bool]]] = (
            queue.SimpleQueue()
        )

    def admit(self, notice_id: int | None, answered: dict[int, str]) -> bool:
        """From a connection's thread: wait until this message may go (False once the claim was taken back).

        notice_id None only reports what the server answered to the connection's last message.
        """
        if self.direct:
            return self._admit_directly(notice_id, answered)
        done = threading.Event()
        verdict: list[bool] = []
        with self._lock:
            if self._is_closed or (self.is_lost and notice_id is not None):
                return False
            self._requests.put((notice_id, answered, done, verdict))
        done.wait()
        return verdict[0]

    def _admit_directly(self, notice_id: int | None, answered: dict[int, str]) -> bool:
        with self._lock:
            refused = self._is_closed or self.is_lost
        if refused and notice_id is not None:
            # Nothing more goes; what the server answered to this connection's last message is still noted.
            notice_id = None
        if notice_id is None and not answered:
            return False
        try:
            holds = hand_over(claim=self.claim, handing=[] if notice_id is None else [notice_id], answered=answered)
        except Exception:
            self.is_lost = True
            raise
        self._note(holds)
        # This statement's own answer: a message it fenced may go even if another connection lost the claim since
        # (its row says handed; the window's record notes its outcome).
        return holds and not refused

    def serve(self, timeout: float) -> None:
        """From the claim's thread: answer the connections waiting, in one statement (none waiting: return at once
        when timeout is 0)."""
        try:
            requests = [self._requests.get(timeout=timeout) if timeout else self._requests.get_nowait()]
        except queue.Empty:
            return
        with contextlib.suppress(queue.Empty):
            while True:
                requests.append(self._requests.get_nowait())
        handing = [notice_id for notice_id, _a, _d, _v in requests if notice_id is not None]
        answered = {pk: kind for _n, answers, _d, _v in requests for pk, kind in answers.items()}
        if self.is_lost:
            handing = []
        try:
            holds = hand_over(claim=self.claim, handing=handing, answered=answered)
        except Exception:
            self.is_lost = True
            self._release(requests)
            raise
        self._note(holds)
        self._release(requests)

    def _note(self, holds: bool) -> None:
        """Note what a fence statement found: once the claim no longer holds, nothing more of the window goes."""
        if not holds:
            if not self.is_lost:
                logger.warning("campaign email claim %s was taken back: sending stops", self.claim.token)
            self.is_lost = True

    def _release(self, requests: list[tuple[int | None, dict[int, str], threading.Event, list[bool]]]) -> None:
        for _notice_id, _answered, done, verdict in requests:
            verdict.append(not self.is_lost)
            done.set()

    def close(self) -> None:
        """Let nothing more go: every connection waiting or asking later is refused."""
        with self._lock:
            self._is_closed = self.is_lost = True
        with contextlib.suppress(queue.Empty):
            while True:
                _n, _a, done, verdict = self._requests.get_nowait()
                verdict.append(False)
                done.set()


@dataclass
class _Heartbeat:
    """The claims this process holds, refreshed every NOTICE_CLAIM_HEARTBEAT_SECONDS so the sweep leaves them."""

    campaign_id: int
    tokens: set[uuid.UUID] = field(default_factory=set)
    beaten_at: float = field(default_factory=time.monotonic)

    def beat(self) -> None:
        if time.monotonic() - self.beaten_at >= settings.NOTICE_CLAIM_HEARTBEAT_SECONDS:
            refresh_claims(campaign_id=self.campaign_id, tokens=self.tokens)
            self.beaten_at = time.monotonic()


@dataclass
class _Window:
    """A claimed window whose messages the pool is sending, each once its fence admits it."""

    claim: Claim
    outcomes: dict[int, tuple[str, str]]
    fence: _Fence
    sending: Sending

    def collect(self, heartbeat: _Heartbeat) -> None:
        """Answer the window's fence and beat the heartbeat until the pool has the outcome of every message."""
        try:
            while not self.sending.done(timeout=0.05 if self.fence.direct else 0):
                if not self.fence.direct:
                    self.fence.serve(timeout=0.05)
                heartbeat.beat()
        finally:
            self.fence.close()
        self.outcomes.update(self.sending.result())

    def record(self, heartbeat: _Heartbeat) -> Counter[str]:
        """Record the window's outcomes in the ledger; return the counts per resulting state."""
        counts = record_email_outcomes(claim=self.claim, outcomes=self.outcomes, now=timezone.now())
        heartbeat.tokens.discard(self.claim.token)
        return counts
