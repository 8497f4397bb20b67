"""Art. 34: launch a campaign, filling the notice ledger with one row per data subject and channel."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from breachdesk.assessment import current_decisions, subjects_to_inform
from breachdesk.models import AuditEvent, BreachFile, DataSubject, DecisionKind, DecisionOutcome, User
from breachdesk.services import record_audit, record_event
from notifications import postgres
from notifications.models import (
    Campaign,
    Channel,
    Notice,
    NoticeState,
    NoticeText,
    NotificationAuditObject,
    UnreachableSubject,
)
from notifications.services.notice_texts import SECTIONS, notice_texts
from notifications.services.references import make_reference
from notifications.timeline import NotificationTimelineKind

logger = logging.getLogger(__name__)


POPULATE_CHUNK = 2000


class CampaignRefused(Exception):
    """Raised when a campaign action is not allowed now; the message names no person."""


@dataclass
class LaunchResult:
    campaign: Campaign
    is_new_campaign: bool
    created: dict[str, int] = field(default_factory=dict)
    existing: int = 0
    unreachable: int = 0
    unreachable_added: int = 0
    covered: int = 0

    @property
    def created_total(self) -> int:
        return sum(self.created.values())

    @property
    def created_nothing(self) -> bool:
        return self.created_total == 0 and self.unreachable_added == 0

    def summary(self) -> str:
        if self.created_nothing:
            return _(
                "Already launched: nothing new. %(existing)s notices exist for %(covered)s data subjects; "
                "%(unreachable)s unreachable."
            ) % {"existing": self.existing, "covered": self.covered, "unreachable": self.unreachable}
        return _(
            "Launched: %(post)s letters and %(email)s emails added to the ledger (%(existing)s were already there) "
            "for %(covered)s data subjects; %(unreachable)s unreachable."
        ) % {
            "post": self.created.get(Channel.POST, 0),
            "email": self.created.get(Channel.EMAIL, 0),
            "existing": self.existing,
            "covered": self.covered,
            "unreachable": self.unreachable,
        }


def parse_channels(value: Iterable[str] | str) -> list[str]:
    """Read a channel list ("post,email"); ValueError on an unknown channel or an empty list."""
    items = value.split(",") if isinstance(value, str) else list(value)
    channels = [item.strip() for item in items if item.strip()]
    unknown = [item for item in channels if item not in Channel.values]
    if unknown or not channels:
        raise ValueError("channels must be post, email or both")
    return [channel for channel in Channel.values if channel in channels]


def inform_decision(breach_file: BreachFile) -> Any:
    decision = current_decisions(breach_file).get(DecisionKind.INFORM_SUBJECTS)
    if decision is None or decision.outcome != DecisionOutcome.INFORM:
        return None
    return decision


def launch_campaign(
    *, breach_file: BreachFile, user: User | None, channels: Iterable[str], now: datetime | None = None
) -> LaunchResult:
    """Give every data subject the inform decision covers a ledger row per channel, or list them unreachable."""
    chosen = parse_channels(channels)
    now = now or timezone.now()
    decision = inform_decision(breach_file)
    if decision is None:
        raise CampaignRefused(
            _("No decision to inform the data subjects (Art. 34) is recorded for this breach file: record it first.")
        )
    texts = notice_texts(breach_file)
    try:
        campaign, is_new = Campaign.objects.get_or_create(
            breach_file=breach_file,
            defaults={
                "decision": decision,
                "channels": chosen,
                "envelope_stock": settings.NOTICE_ENVELOPE_STOCK,
                "texts": texts,
                "letter_date": timezone.localdate(now),
                "launched_at": now,
                "launched_by": user,
            },
        )
    except IntegrityError:
        campaign, is_new = Campaign.objects.get(breach_file=breach_file), False
    result = LaunchResult(campaign=campaign, is_new_campaign=is_new)
    with transaction.atomic():
        postgres.lock_campaign(campaign.pk)
        campaign.refresh_from_db()
        if set(chosen) - set(campaign.channels):
            campaign.channels = [
                channel for channel in Channel.values if channel in set(campaign.channels) | set(chosen)
            ]
            campaign.save(update_fields=["channels"])
        unreachable_before = campaign.unreachable.count()
        result.created = _populate(campaign=campaign, now=now, result=result)
        campaign.populated_at = now
        campaign.save(update_fields=["populated_at"])
        result.existing = campaign.notices.count() - result.created_total
        result.unreachable = campaign.unreachable.count()
        result.unreachable_added = max(0, result.unreachable - unreachable_before)
        if not result.created_nothing:
            record_event(
                breach_file=breach_file,
                kind=NotificationTimelineKind.CAMPAIGN_LAUNCHED,
                actor=user,
                at=now,
                params={
                    "post": result.created.get(Channel.POST, 0),
                    "email": result.created.get(Channel.EMAIL, 0),
                    "unreachable": result.unreachable,
                },
            )
        record_audit(
            user=user,
            action=AuditEvent.Action.CREATE,
            object_type=NotificationAuditObject.CAMPAIGN,
            object_id=campaign.pk,
            organisation_id=breach_file.controller_id,
            detail=f"created={result.created_total} existing={result.existing}",
        )
        wake_campaign(campaign.pk)
    logger.info("campaign %s launched: %s new notices", campaign.pk, result.created_total)
    return result


def _postcode(subject: DataSubject) -> str:
    return subject.personal.postcode[:10]


def _populate(*, campaign: Campaign, now: datetime, result: LaunchResult) -> dict[str, int]:
    """Insert missing rows chunk by chunk; the caller holds the campaign lock, so counts are exact."""
    created: Counter[str] = Counter()
    breach_file_id = campaign.breach_file_id
    channels = set(campaign.channels)
    subjects = (
        subjects_to_inform(campaign.breach_file)
        .order_by("pk")
        .only("pk", "personal_token", "language", "has_postal_address", "has_email")
    )
    last_pk = 0
    while True:
        chunk = list(subjects.filter(pk__gt=last_pk)[:POPULATE_CHUNK])
        if not chunk:
            break
        last_pk = chunk[-1].pk
        result.covered += len(chunk)
        existing = set(
            Notice.objects.filter(breach_file_id=breach_file_id, subject_id__in=[s.pk for s in chunk]).values_list(
                "subject_id", "channel"
            )
        )
        new: list[Notice] = []
        unreachable: list[UnreachableSubject] = []
        reachable: list[int] = []
        for subject in chunk:
            usable = [channel for channel in subject.channels if channel in channels]
            if not usable:
                reason = (
                    UnreachableSubject.Reason.NO_CHANNEL_CHOSEN
                    if subject.channels
                    else UnreachableSubject.Reason.NO_CHANNEL
                )
                if not any(key[0] == subject.pk for key in existing):
                    unreachable.append(
                        UnreachableSubject(campaign=campaign, subject=subject, reason=reason, recorded_at=now)
                    )
                continue
            reachable.append(subject.pk)
            for channel in usable:
                if (subject.pk, channel) in existing:
                    continue
                new.append(new_notice(campaign, subject, channel, now, Notice.Origin.LAUNCH))
                created[channel] += 1
        Notice.objects.bulk_create(new, ignore_conflicts=True)
        UnreachableSubject.objects.bulk_create(unreachable, ignore_conflicts=True)
        # A later launch with another channel may reach people listed unreachable before.
        UnreachableSubject.objects.filter(
            campaign=campaign, subject_id__in=reachable, reason=UnreachableSubject.Reason.NO_CHANNEL_CHOSEN
        ).delete()
    return dict(created)


def new_notice(campaign: Campaign, subject: DataSubject, channel: str, now: datetime, origin: str) -> Notice:
    return Notice(
        campaign=campaign,
        breach_file_id=campaign.breach_file_id,
        subject=subject,
        channel=channel,
        origin=origin,
        reference=make_reference(campaign.breach_file_id, subject.pk, channel),
        language=subject.language,
        postcode=_postcode(subject) if channel == Channel.POST else "",
        state=NoticeState.PENDING,
        created_at=now,
        state_changed_at=now,
    )


def wake_campaign(campaign_id: int) -> None:
    """Wake the workers after commit; they find their work in the ledger, the message carries only the id."""
    from notifications.tasks import campaigns as campaign_tasks

    # celery-types does not know Django's task class, which adds delay_on_commit.
    campaign_tasks.build_print_batches.delay_on_commit(campaign_id)  # type: ignore[attr-defined]
    campaign_tasks.send_notice_emails.delay_on_commit(campaign_id)  # type: ignore[attr-defined]


@transaction.atomic
def save_notice_text(
    *, breach_file: BreachFile, language: str, values: dict[str, str], user: User | None
) -> NoticeText:
    """Store the DPO's text of one language; refused once launched, since the letters then say what was launched."""
    if Campaign.objects.filter(breach_file=breach_file).exists():
        raise CampaignRefused(_("The campaign is launched: its text can no longer change."))
    if language not in ("fr", "en"):
        raise ValidationError(_("Unknown language."))
    cleaned = {section: values.get(section, "").strip() for section in SECTIONS}
    empty = [section for section, text in cleaned.items() if not text]
    if empty:
        raise ValidationError({section: _("This section cannot be empty.") for section in empty})
    text, _created = NoticeText.objects.update_or_create(
        breach_file=breach_file, language=language, defaults={**cleaned, "updated_by": user}
    )
    record_audit(
        user=user,
        action=AuditEvent.Action.CHANGE,
        object_type=NotificationAuditObject.NOTICE_TEXT,
        object_id=text.pk,
        organisation_id=breach_file.controller_id,
        detail=language,
    )
    return text
