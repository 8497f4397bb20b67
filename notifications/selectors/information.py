"""Whether, when and how the data subjects were informed (Art. 34), read from the notice ledger in a few aggregates."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.db.models import Count, Exists, Max, Min, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from breachdesk.assessment import subjects_to_inform
from breachdesk.models import BreachFile, Channel
from notifications.models import (
    TERMINAL_STATES,
    Campaign,
    Notice,
    NoticeState,
    PublicCommunication,
    UnreachableSubject,
)

PARIS = ZoneInfo("Europe/Paris")
# A person is told once a letter was posted and not returned, or an email was accepted and did not bounce.
DELIVERED_STATES = (NoticeState.POSTED, NoticeState.SENT)
POSTED_STATES = (NoticeState.POSTED, NoticeState.RETURNED)
SENT_STATES = (NoticeState.SENT, NoticeState.BOUNCED)
UNDELIVERED_EMAIL_STATES = (NoticeState.BOUNCED, NoticeState.FAILED_PERMANENT)


@dataclass(frozen=True)
class PersonsInformed:
    """The ledger's answer for one breach file: counts per channel, dates, and who is told."""

    campaign: Campaign | None
    covered: int = 0
    told: int = 0
    letters_posted: int = 0
    letters_returned: int = 0
    emails_sent: int = 0
    emails_undelivered: int = 0
    emails_unknown: int = 0
    in_progress: int = 0
    unreachable: int = 0
    # Notices set aside because the person's data cannot be decrypted: never told, until the data is restored.
    unreadable: int = 0
    public_communications: list[PublicCommunication] = field(default_factory=list)
    first_sent_on: date | None = None
    last_sent_on: date | None = None
    languages: list[str] = field(default_factory=list)

    @property
    def not_told(self) -> int:
        return max(0, self.covered - self.told)

    @property
    def has_public_communication(self) -> bool:
        return bool(self.public_communications)

    @property
    def is_everyone_informed(self) -> bool:
        """Every covered person told individually, or, once nothing is on its way, the rest by a public notice."""
        if self.campaign is None or self.campaign.populated_at is None or self.covered == 0:
            return False
        if self.not_told == 0:
            return True
        return self.in_progress == 0 and self.has_public_communication

    @property
    def has_sent_anything(self) -> bool:
        return self.letters_posted > 0 or self.emails_sent > 0


def _paris_day(moment: datetime | None) -> date | None:
    return moment.astimezone(PARIS).date() if moment is not None else None


def persons_informed(breach_file: BreachFile) -> PersonsInformed:
    """Read the campaign's ledger with aggregate queries only, never row by row."""
    campaign = Campaign.objects.filter(breach_file=breach_file).first()
    communications = list(PublicCommunication.objects.filter(breach_file=breach_file).order_by("published_on", "pk"))
    if campaign is None:
        return PersonsInformed(campaign=None, public_communications=communications)
    notices = Notice.objects.filter(campaign=campaign).order_by()
    ledger = notices.aggregate(
        letters_posted=Count("pk", filter=Q(channel=Channel.POST, state__in=POSTED_STATES)),
        letters_returned=Count("pk", filter=Q(channel=Channel.POST, state=NoticeState.RETURNED)),
        emails_sent=Count("pk", filter=Q(channel=Channel.EMAIL, state__in=SENT_STATES)),
        emails_undelivered=Count("pk", filter=Q(channel=Channel.EMAIL, state__in=UNDELIVERED_EMAIL_STATES)),
        emails_unknown=Count("pk", filter=Q(channel=Channel.EMAIL, state=NoticeState.UNKNOWN)),
        in_progress=Count("pk", filter=~Q(state__in=list(TERMINAL_STATES))),
        unreadable=Count("pk", filter=Q(state=NoticeState.UNREADABLE)),
        first_posted=Min("posted_on", filter=Q(channel=Channel.POST, state__in=POSTED_STATES)),
        last_posted=Max("posted_on", filter=Q(channel=Channel.POST, state__in=POSTED_STATES)),
        first_sent=Min("sent_at", filter=Q(channel=Channel.EMAIL, state__in=SENT_STATES)),
        last_sent=Max("sent_at", filter=Q(channel=Channel.EMAIL, state__in=SENT_STATES)),
    )
    delivered = Notice.objects.filter(subject=OuterRef("pk"), campaign=campaign, state__in=DELIVERED_STATES)
    people = (
        subjects_to_inform(breach_file)
        .order_by()
        .aggregate(covered=Count("pk"), told=Count("pk", filter=Q(Exists(delivered))))
    )
    days = [
        day
        for day in (
            ledger["first_posted"],
            ledger["last_posted"],
            _paris_day(ledger["first_sent"]),
            _paris_day(ledger["last_sent"]),
        )
        if day is not None
    ]
    languages = sorted(set(notices.values_list("language", flat=True).distinct()))
    return PersonsInformed(
        campaign=campaign,
        covered=people["covered"] or 0,
        told=people["told"] or 0,
        letters_posted=ledger["letters_posted"],
        letters_returned=ledger["letters_returned"],
        emails_sent=ledger["emails_sent"],
        emails_undelivered=ledger["emails_undelivered"],
        emails_unknown=ledger["emails_unknown"],
        in_progress=ledger["in_progress"],
        unreadable=ledger["unreadable"],
        unreachable=UnreachableSubject.objects.filter(campaign=campaign).count(),
        public_communications=communications,
        first_sent_on=min(days) if days else None,
        last_sent_on=max(days) if days else None,
        languages=[language for language in languages if language in campaign.texts],
    )


@dataclass(frozen=True)
class InformingProgress:
    """How far one breach file's campaign went (Art. 34): the compliance dashboard's columns for one lab."""

    launched_at: datetime
    persons: int
    told: int
    letters_posted: int
    letters_returned: int
    emails_sent: int
    emails_bounced: int
    emails_unknown: int
    unreachable: int
    # Notices set aside because the person's data cannot be decrypted: counted apart, never as told.
    unreadable: int = 0

    @property
    def percent(self) -> int:
        """The share of the campaign's persons told, rounded down so 100 means everyone."""
        return 100 * self.told // self.persons if self.persons else 0


def informing_progress(breach_file_ids: list[int]) -> dict[int, InformingProgress]:
    """Read the ledger of every launched campaign among these breach files in one query grouped by campaign.

    The persons of a campaign are those it has a row for or lists unreachable (every channel failed is both);
    a person is told once a letter was posted and not returned or an email was sent and did not bounce.
    """
    unreachable = UnreachableSubject.objects.filter(campaign=OuterRef("pk")).order_by().values("campaign")
    campaigns = (
        Campaign.objects.filter(breach_file_id__in=breach_file_ids)
        .order_by()
        .annotate(
            letters_posted=Count("notices", filter=Q(notices__channel=Channel.POST, notices__state__in=POSTED_STATES)),
            letters_returned=Count(
                "notices", filter=Q(notices__channel=Channel.POST, notices__state=NoticeState.RETURNED)
            ),
            emails_sent=Count("notices", filter=Q(notices__channel=Channel.EMAIL, notices__state__in=SENT_STATES)),
            emails_bounced=Count(
                "notices", filter=Q(notices__channel=Channel.EMAIL, notices__state__in=UNDELIVERED_EMAIL_STATES)
            ),
            emails_unknown=Count(
                "notices", filter=Q(notices__channel=Channel.EMAIL, notices__state=NoticeState.UNKNOWN)
            ),
            unreadable=Count("notices", filter=Q(notices__state=NoticeState.UNREADABLE)),
            with_notice=Count("notices__subject", distinct=True),
            told=Count("notices__subject", distinct=True, filter=Q(notices__state__in=DELIVERED_STATES)),
            unreachable_count=Coalesce(Subquery(unreachable.annotate(count=Count("pk")).values("count")), 0),
            only_unreachable_count=Coalesce(
                Subquery(
                    unreachable.exclude(reason=UnreachableSubject.Reason.ALL_FAILED)
                    .annotate(count=Count("pk"))
                    .values("count")
                ),
                0,
            ),
        )
        .values_list(
            "breach_file_id",
            "launched_at",
            "with_notice",
            "only_unreachable_count",
            "told",
            "letters_posted",
            "letters_returned",
            "emails_sent",
            "emails_bounced",
            "emails_unknown",
            "unreachable_count",
            "unreadable",
        )
    )
    return {
        breach_file_id: InformingProgress(
            launched_at=launched_at,
            persons=with_notice + only_unreachable,
            told=told,
            letters_posted=letters_posted,
            letters_returned=letters_returned,
            emails_sent=emails_sent,
            emails_bounced=emails_bounced,
            emails_unknown=emails_unknown,
            unreachable=unreachable,
            unreadable=unreadable,
        )
        for (
            breach_file_id,
            launched_at,
            with_notice,
            only_unreachable,
            told,
            letters_posted,
            letters_returned,
            emails_sent,
            emails_bounced,
            emails_unknown,
            unreachable,
            unreadable,
        ) in campaigns
    }
