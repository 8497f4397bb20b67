"""The notice ledger's state machine: transitions, email claims and outcomes, fallbacks, bounces."""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from breachdesk.models import AuditEvent, BreachFile, DataSubject, User
from breachdesk.models.subjects import age_group_on
from breachdesk.services import record_audit
from notifications import postgres
from notifications.delivery import Outcome
from notifications.models import (
    Channel,
    Notice,
    NoticeEvent,
    NoticeState,
    NotificationAuditObject,
    UnreachableSubject,
)
from notifications.services.campaigns import new_notice, recipients_of, wake_campaign
from notifications.services.outbound import retry_delay
from notifications.services.references import make_reference

# The error of a notice set aside because its person's data cannot be decrypted (its event and last_error).
UNREADABLE_ERROR = "unreadable"


def event_rows(
    rows: Iterable[tuple[int, str, int]], to_state: str, at: datetime, error: str = "", actor: User | None = None
) -> list[NoticeEvent]:
    return [
        NoticeEvent(
            notice_id=pk, from_state=from_state, to_state=to_state, at=at, attempt=attempt, error=error, actor=actor
        )
        for pk, from_state, attempt in rows
    ]


def transition(
    *,
    notices: models.QuerySet[Notice],
    from_states: Iterable[str],
    to_state: str,
    at: datetime,
    actor: User | None = None,
    error: str = "",
    **values: Any,
) -> list[int]:
    """Move the rows still in one of from_states to to_state, log each move, return the ids moved."""
    with transaction.atomic():
        rows = list(
            notices.select_for_update()
            .filter(state__in=list(from_states))
            .order_by("pk")
            .values_list("pk", "state", "attempts")
        )
        if not rows:
            return []
        ids = [pk for pk, _state, _attempts in rows]
        Notice.objects.filter(pk__in=ids).update(state=to_state, state_changed_at=at, **values)
        NoticeEvent.objects.bulk_create(event_rows(rows, to_state, at, error, actor))
    return ids


@dataclass(frozen=True)
class Claim:
    token: uuid.UUID
    claimed_at: datetime
    notices: list[Notice]


def claim_emails(*, campaign_id: int, limit: int, now: datetime | None = None) -> Claim | None:
    """Claim due pending emails for this worker; the rows go to "sending" before any byte leaves."""
    now = now or timezone.now()
    token = uuid.uuid4()
    ids = postgres.claim_due_emails(campaign_id=campaign_id, limit=limit, now=now, token=token)
    if not ids:
        return None
    notices = list(
        Notice.objects.filter(pk__in=ids, claim_token=token, state=NoticeState.SENDING)
        .select_related("subject")
        .only(*CLAIMED_FIELDS)
        .order_by("pk")
    )
    return Claim(token=token, claimed_at=now, notices=notices)


# What composing and recording an email read of a claimed row: loading whole rows cost as much as sending.
CLAIMED_FIELDS = (
    "pk",
    "campaign_id",
    "reference",
    "language",
    # Who the email greets (the person or a child's legal representatives).
    "addressee",
    "attempts",
    "state",
    "subject_id",
    # The person's exposure codes are in the token too: read decrypted, with the email address.
    "subject__personal_token",
    "subject__country",
    "subject__language",
)


def hand_over(*, claim: Claim, handing: list[int], answered: dict[int, str], now: datetime | None = None) -> bool:
    """Fence a window in one statement: mark handing as handed to the server, note what it answered; False if lost.

    Called just before each message's data goes out: if the sweep took the claim back meanwhile, nothing more is
    sent. An accepted message gets its sent time at once and a refused one no longer counts as handed, so a worker
    that stops leaves unknown only what was in flight: one message per connection. The rows stay "sending" (the
    window's record moves them once): the fence writes only columns no index holds, so PostgreSQL updates the rows
    in place instead of rewriting every index of the ledger once per email.
    """
    now = now or timezone.now()
    sent = [pk for pk, kind in answered.items() if kind == Outcome.SENT]
    refused = [pk for pk, kind in answered.items() if kind in (Outcome.TRANSIENT, Outcome.PERMANENT)]
    ids = [*handing, *answered]
    if not ids:
        return True
    held = postgres.fence_claimed(token=claim.token, ids=ids, handing=handing, sent=sent, refused=refused, now=now)
    return held == len(ids)


def refresh_claims(*, campaign_id: int, tokens: Iterable[uuid.UUID], now: datetime | None = None) -> int:
    """Refresh the heartbeat of this worker's claims, so the sweep knows it is alive; return the rows refreshed."""
    tokens = list(tokens)
    if not tokens:
        return 0
    return postgres.refresh_heartbeat(campaign_id=campaign_id, tokens=tokens, now=now or timezone.now())


def record_email_outcomes(
    *, claim: Claim, outcomes: dict[int, tuple[str, str]], now: datetime | None = None
) -> Counter[str]:
    """Apply what the SMTP server answered to the claimed rows, with one event per move; return counts per state.

    A row only moves if this claim still holds it. When the sweep took the claim back from a live worker, the rows
    it made unknown keep the claim's token: what the server answered replaces the sweep's guess, unless a person
    decided on them meanwhile.
    """
    now = now or timezone.now()
    counts: Counter[str] = Counter()
    attempts_of = {notice.pk: notice.attempts for notice in claim.notices}
    by_target: dict[tuple[str, str, datetime | None], list[int]] = defaultdict(list)
    fenced: list[int] = []
    for pk, (kind, error) in outcomes.items():
        attempts = attempts_of.get(pk)
        if attempts is None:
            continue
        if kind == Outcome.FENCED:
            fenced.append(pk)
            continue
        if kind == Outcome.SENT:
            target: str = NoticeState.SENT
            retry_at: datetime | None = None
        elif kind == Outcome.TRANSIENT and attempts < settings.NOTICE_EMAIL_MAX_ATTEMPTS:
            target, retry_at = NoticeState.PENDING, now + retry_delay(attempts)
        elif kind == Outcome.UNKNOWN:
            target, retry_at = NoticeState.UNKNOWN, None
        elif kind == Outcome.UNREADABLE:
            target, retry_at = NoticeState.UNREADABLE, None
        else:
            target, retry_at = NoticeState.FAILED_PERMANENT, None
            if kind == Outcome.TRANSIENT:
                error = f"{error} (after {attempts} attempts)"
        by_target[(target, error[:200], retry_at)].append(pk)
    events: list[tuple[int, str, str, datetime, int, str]] = []
    undelivered: list[int] = []
    with transaction.atomic():
        for (target, error, retry_at), ids in by_target.items():
            values: dict[str, Any] = {
                "state": target,
                "state_changed_at": now,
                "claim_token": None,
                "handed_at": None,
                "last_error": error,
            }
            if target == NoticeState.SENT:
                values["sent_at"] = now
            elif target == NoticeState.PENDING:
                values["next_attempt_at"] = retry_at
            elif target == NoticeState.FAILED_PERMANENT:
                values["failed_at"] = now
            moved = postgres.move_claimed(ids=ids, token=claim.token, values=values)
            for pk in moved:
                attempts = attempts_of[pk]
                events.append((pk, NoticeState.PENDING, NoticeState.SENDING, claim.claimed_at, attempts, ""))
                events.append((pk, NoticeState.SENDING, target, now, attempts, error))
            if moved:
                counts[target] += len(moved)
            if target == NoticeState.FAILED_PERMANENT:
                undelivered.extend(moved)
        # Never given to the server (the fence stopped this connection first): due again, as if never claimed.
        # Only rows this claim still holds as "sending": what the sweep made unknown stays for a person to decide.
        if fenced:
            released = transition(
                notices=Notice.objects.filter(pk__in=fenced, claim_token=claim.token, sent_at__isnull=True),
                from_states=[NoticeState.SENDING],
                to_state=NoticeState.PENDING,
                at=now,
                error="not sent: fence refused",
                claim_token=None,
                handed_at=None,
                next_attempt_at=None,
                attempts=F("attempts") - 1,
            )
            if released:
                counts[NoticeState.PENDING] += len(released)
        postgres.insert_events(events)
        for pk in sorted(undelivered):
            fall_back_to_other_channel(notice_id=pk, now=now)
    return counts


def next_email_attempt_at(campaign_id: int) -> datetime | None:
    """Return when the earliest email waiting on a back-off is due, if any."""
    return (
        Notice.objects.filter(campaign_id=campaign_id)
        .waiting_on_back_off()
        .order_by("next_attempt_at")
        .values_list("next_attempt_at", flat=True)
        .first()
    )


def resolve_unknown(
    *, breach_file: BreachFile, notice_ids: list[int] | None, resend: bool, user: User | None
) -> list[int]:
    """A person decides on emails of unknown fate (these ids, or all when None): send again or accept as sent."""
    now = timezone.now()
    notices = Notice.objects.filter(breach_file=breach_file, channel=Channel.EMAIL)
    if notice_ids is not None:
        notices = notices.filter(pk__in=notice_ids)
    if resend:
        moved = transition(
            notices=notices,
            from_states=[NoticeState.UNKNOWN],
            to_state=NoticeState.PENDING,
            at=now,
            actor=user,
            error="resend decided",
            next_attempt_at=None,
            claim_token=None,
        )
    else:
        moved = transition(
            notices=notices,
            from_states=[NoticeState.UNKNOWN],
            to_state=NoticeState.SENT,
            at=now,
            actor=user,
            error="accepted as sent",
            sent_at=now,
            claim_token=None,
        )
    record_audit(
        user=user,
        action=AuditEvent.Action.CHANGE,
        object_type=NotificationAuditObject.NOTICE,
        object_id=_ids_that_fit(moved, AuditEvent._meta.get_field("object_id").max_length or 40),
        organisation_id=breach_file.controller_id,
        detail=f"unknown {'resend' if resend else 'accepted'} x{len(moved)}{' (all)' if notice_ids is None else ''}",
    )
    if resend and moved:
        campaign_id = Notice.objects.filter(pk=moved[0]).values_list("campaign_id", flat=True).get()
        wake_campaign(campaign_id)
    return moved


def _ids_that_fit(ids: list[int], width: int) -> str:
    """The first ids, comma-separated, as many as fit the audit entry's object id (the detail gives the count)."""
    label = ""
    for pk in ids:
        candidate = f"{label},{pk}" if label else str(pk)
        if len(candidate) > width:
            break
        label = candidate
    return label


def fall_back_to_other_channel(*, notice_id: int, now: datetime | None = None) -> Notice | None:
    """After an email fails or a letter returns, add the other channel once, or list the person unreachable."""
    now = now or timezone.now()
    notice = Notice.objects.select_related("campaign", "subject", "breach_file").get(pk=notice_id)
    other = Channel.POST if notice.channel == Channel.EMAIL else Channel.EMAIL
    subject = notice.subject
    # The rules for minors hold for the fallback too: a child's returned letter never becomes an email to the child.
    # Unreadable data gives no birth date: the age group stored at launch stands, and the new notice itself becomes
    # "data unreadable" where it is rendered or sent, without stopping the step that called this.
    personal = subject.readable_personal
    age_group = age_group_on(personal.birth_date, notice.campaign.letter_date) if personal else subject.age_group
    pairs = recipients_of(
        subject,
        channels={other},
        age_group=age_group,
        adolescent_addressee=notice.breach_file.adolescent_addressee,
    )
    created: Notice | None = None
    with transaction.atomic():
        origin = Notice.Origin.EMAIL_UNDELIVERED if other == Channel.POST else Notice.Origin.LETTER_RETURNED
        for channel, addressee in pairs:
            candidate = new_notice(notice.campaign, subject, channel, now, origin, addressee=addressee)
            if personal is None:
                # Nobody can address it: the DPO sees it among the unreadable ones, no worker takes it.
                candidate.state = NoticeState.UNREADABLE
                candidate.last_error = UNREADABLE_ERROR
            with transaction.atomic():
                try:
                    candidate.save(force_insert=True)
                except IntegrityError:
                    continue  # the other channel's notice already exists: exactly one per person and channel
            created = created or candidate
            NoticeEvent.objects.create(
                notice=candidate,
                from_state="",
                to_state=candidate.state,
                at=now,
                error=UNREADABLE_ERROR if personal is None else f"after {notice.reference}",
            )
        if created is not None and personal is not None:
            wake_campaign(notice.campaign_id)
        alive = Notice.objects.filter(breach_file_id=notice.breach_file_id, subject_id=subject.pk).exclude(
            state__in=[NoticeState.FAILED_PERMANENT, NoticeState.BOUNCED, NoticeState.RETURNED]
        )
        if not alive.exists():
            UnreachableSubject.objects.get_or_create(
                campaign=notice.campaign,
                subject=subject,
                defaults={"reason": UnreachableSubject.Reason.ALL_FAILED, "recorded_at": now},
            )
    return created


def notice_of_message_id(message_id: str) -> Notice | None:
    """Find the email notice a Message-ID of ours names; None for anyone else's."""
    value = message_id.strip().strip("<>")
    local = value.split("@", 1)[0]
    parts = local.split(".", 2)
    if len(parts) != 3 or parts[0] != "notice" or not parts[1].isdigit():
        return None
    return Notice.objects.filter(pk=int(parts[1]), channel=Channel.EMAIL, reference=parts[2]).first()


def record_bounce(*, message_id: str, at: datetime | None = None, reason: str = "bounce") -> Notice | None:
    """Mark the email whose Message-ID bounced; its person then gets a letter (once). Unknown ids are ignored."""
    notice = notice_of_message_id(message_id)
    if notice is None:
        return None
    return record_bounce_of_notice(notice_id=notice.pk, at=at, reason=reason)


def record_bounce_of_notice(*, notice_id: int, at: datetime | None = None, reason: str = "bounce") -> Notice | None:
    """Mark an email notice bounced (from a DSN or an ESP's event) and fall back to a letter once."""
    at = at or timezone.now()
    notices = Notice.objects.filter(pk=notice_id, channel=Channel.EMAIL)
    moved = transition(
        notices=notices,
        from_states=[NoticeState.SENT, NoticeState.UNKNOWN, NoticeState.SENDING],
        to_state=NoticeState.BOUNCED,
        at=at,
        error=reason[:200],
        bounced_at=at,
        last_error=reason[:200],
        claim_token=None,
    )
    if moved:
        fall_back_to_other_channel(notice_id=notice_id, now=at)
    return notices.first()


class ResendRefused(Exception):
    """Raised when a notice cannot be sent again now; the message names no person."""


# States of a notice that came back: the only ones a person may send again, once the details are corrected.
UNDELIVERED_STATES = frozenset({NoticeState.RETURNED, NoticeState.BOUNCED, NoticeState.FAILED_PERMANENT})


def came_back_at(notice: Notice) -> datetime | None:
    """Return when a notice came back (returned letter, bounced or refused email)."""
    return notice.returned_at or notice.bounced_at or notice.failed_at


def can_send_again(notice: Notice, subject: DataSubject) -> bool:
    """Tell whether a notice that came back may go again: not resent yet, and the person's details corrected since."""
    returned = came_back_at(notice)
    reachable = subject.has_email if notice.channel == Channel.EMAIL else subject.has_postal_address
    return (
        notice.state in UNDELIVERED_STATES
        and returned is not None
        and subject.contact_corrected_at is not None
        and subject.contact_corrected_at > returned
        and reachable
        and not Notice.objects.filter(resend_of=notice).exists()
    )


def send_again(*, breach_file: BreachFile, notice_id: int, user: User | None, now: datetime | None = None) -> Notice:
    """Queue the same channel again for a notice that came back, once the person's address or email was corrected.

    One new notice per return (resend_of is unique): a second letter never goes without the first one's return.
    """
    now = now or timezone.now()
    with transaction.atomic():
        notice = (
            Notice.objects.select_for_update()
            .select_related("campaign", "subject")
            .filter(breach_file=breach_file, pk=notice_id)
            .first()
        )
        if notice is None:
            raise ResendRefused(_("No such notice in this breach file."))
        subject = DataSubject.objects.select_for_update().get(pk=notice.subject_id)
        if not can_send_again(notice, subject):
            raise ResendRefused(
                _("Only a notice that came back can be sent again, once, after the address or email was corrected.")
            )
        sequence = (
            2
            + Notice.objects.filter(
                breach_file=breach_file, subject=subject, channel=notice.channel, addressee=notice.addressee
            )
            .exclude(resend_of__isnull=True)
            .count()
        )
        resent = new_notice(
            notice.campaign, subject, notice.channel, now, Notice.Origin.RESENT, addressee=notice.addressee
        )
        resent.reference = make_reference(
            breach_file.pk, subject.pk, notice.channel, notice.addressee, sequence=sequence
        )
        resent.resend_of = notice
        try:
            with transaction.atomic():
                resent.save(force_insert=True)
        except IntegrityError:
            raise ResendRefused(_("This notice was already sent again.")) from None
        NoticeEvent.objects.create(
            notice=resent,
            from_state="",
            to_state=NoticeState.PENDING,
            at=now,
            actor=user,
            error=f"after {notice.reference}",
        )
        # The person has a channel again: no longer among those every channel failed (Art. 34(3)(c) input).
        UnreachableSubject.objects.filter(
            campaign=notice.campaign, subject=subject, reason=UnreachableSubject.Reason.ALL_FAILED
        ).delete()
        record_audit(
            user=user,
            action=AuditEvent.Action.CREATE,
            object_type=NotificationAuditObject.NOTICE,
            object_id=resent.pk,
            organisation_id=breach_file.controller_id,
            detail=f"sent again after notice {notice.pk}",
        )
        wake_campaign(notice.campaign_id)
    return resent
