"""Whether, when and how the data subjects were informed (Art. 34), read from the notice ledger in a few aggregates."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.db.models import Count, Exists, Max, Min, OuterRef, Q, QuerySet

from breachdesk.assessment import subjects_to_inform
from breachdesk.models import BreachFile, Channel, DataSubject
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
    covered = subjects_to_inform(breach_file).order_by()
    # A semi-join over the notices' (subject, state) index; inside an aggregate's FILTER it was probed once per person.
    # A person's notices all belong to the campaign of their breach file.
    delivered = Notice.objects.filter(subject=OuterRef("pk"), state__in=DELIVERED_STATES)
    people = {"covered": covered.count(), "told": covered.filter(Exists(delivered)).count()}
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
    # One EXISTS per language the campaign has a text in: it stops at the first notice, where a DISTINCT over the
    # ledger read every notice (issue 14).
    languages = [language for language in sorted(campaign.texts) if notices.filter(language=language).exists()]
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
        languages=languages,
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
    """Read the ledger of every launched campaign among these breach files in a few grouped queries.

    The persons of a campaign are those it has a row for or lists unreachable (every channel failed is both);
    a person is told once a letter was posted and not returned or an email was sent and did not bounce.
    Each count is one scan of an index, never a sort of the ledger (issue 14: one join with COUNT(DISTINCT) over a
    campaign of 760,000 notices ran for more than 20 s): the notices per channel and state from the work queue,
    those told as a semi-join of the breach file's subjects with the notices' (subject, state) index, the persons
    with a notice as the last fill counted them. A person's notices all belong to the campaign of their breach file.
    """
    launched: dict[int, tuple[int, datetime]] = {}
    with_notice: Counter[int] = Counter()
    to_count = []
    for campaign_id, breach_file_id, launched_at, populated_at, counted in Campaign.objects.filter(
        breach_file_id__in=breach_file_ids
    ).values_list("pk", "breach_file_id", "launched_at", "populated_at", "persons_with_notice"):
        launched[campaign_id] = (breach_file_id, launched_at)
        # Counted by the last fill; counted here while a fill runs, or for a campaign filled before it was kept.
        if populated_at is not None and counted is not None:
            with_notice[breach_file_id] = counted
        else:
            to_count.append(breach_file_id)
    if not launched:
        return {}
    states: dict[int, Counter[tuple[str, str]]] = {campaign_id: Counter() for campaign_id in launched}
    for campaign_id, channel, state, count in (
        Notice.objects.filter(campaign_id__in=list(launched))
        .order_by()
        .values_list("campaign_id", "channel", "state")
        .annotate(count=Count("pk"))
    ):
        states[campaign_id][channel, state] = count
    files = [breach_file_id for breach_file_id, _launched_at in launched.values()]
    if to_count:
        with_notice.update(count_persons_with_notice(to_count))
    told = _subjects_per_breach_file(files, Notice.objects.filter(state__in=DELIVERED_STATES))
    unreachable: Counter[int] = Counter()
    only_unreachable: Counter[int] = Counter()
    for campaign_id, reason, count in (
        UnreachableSubject.objects.filter(campaign_id__in=list(launched))
        .order_by()
        .values_list("campaign_id", "reason")
        .annotate(count=Count("pk"))
    ):
        unreachable[campaign_id] += count
        if reason != UnreachableSubject.Reason.ALL_FAILED:
            only_unreachable[campaign_id] += count
    progress = {}
    for campaign_id, (breach_file_id, launched_at) in launched.items():
        counts = states[campaign_id]

        def total(channel: str, chosen: tuple[str, ...], counts: Counter[tuple[str, str]] = counts) -> int:
            return sum(counts[channel, state] for state in chosen)

        progress[breach_file_id] = InformingProgress(
            launched_at=launched_at,
            persons=with_notice[breach_file_id] + only_unreachable[campaign_id],
            told=told[breach_file_id],
            letters_posted=total(Channel.POST, POSTED_STATES),
            letters_returned=total(Channel.POST, (NoticeState.RETURNED,)),
            emails_sent=total(Channel.EMAIL, SENT_STATES),
            emails_bounced=total(Channel.EMAIL, UNDELIVERED_EMAIL_STATES),
            emails_unknown=total(Channel.EMAIL, (NoticeState.UNKNOWN,)),
            unreachable=unreachable[campaign_id],
            unreadable=sum(count for (_channel, state), count in counts.items() if state == NoticeState.UNREADABLE),
        )
    return progress


def count_persons_with_notice(breach_file_ids: list[int]) -> Counter[int]:
    """Count, per breach file, the data subjects that have a notice (what each fill keeps on its campaign)."""
    return _subjects_per_breach_file(breach_file_ids, Notice.objects.all())


def _subjects_per_breach_file(breach_file_ids: list[int], notices: QuerySet[Notice]) -> Counter[int]:
    """Count, per breach file, its data subjects that have one of these notices (a semi-join, no DISTINCT)."""
    return Counter(
        dict(
            DataSubject.objects.filter(breach_file_id__in=breach_file_ids)
            .filter(Exists(notices.filter(subject=OuterRef("pk"))))
            .order_by()
            .values_list("breach_file_id")
            .annotate(count=Count("pk"))
        )
    )
