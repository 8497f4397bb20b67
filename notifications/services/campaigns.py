"""Art. 34: launch a campaign, filling the notice ledger with one row per data subject and channel."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from breachdesk.assessment import current_decisions, subjects_to_inform
from breachdesk.crypto import DecryptionError, decrypt_json
from breachdesk.models import AuditEvent, BreachFile, DataSubject, DecisionKind, DecisionOutcome, User
from breachdesk.models.subjects import AgeGroup, age_group_on
from breachdesk.services import record_audit, record_event
from breachdesk.taxonomy import AdolescentAddressee, SensitiveDetail
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
from notifications.services.notice_texts import SECTIONS, check_conditions, notice_texts, stored_languages
from notifications.services.references import make_reference
from notifications.timeline import NotificationTimelineKind

logger = logging.getLogger(__name__)


POPULATE_CHUNK = 2000
STAGE_CHUNK = 5000
# The (channel, addressee) pairs a launch writes, in the order the set-wise fill writes them.
_PAIRS = [
    (Channel.POST.value, Notice.Addressee.SUBJECT.value),
    (Channel.EMAIL.value, Notice.Addressee.SUBJECT.value),
    (Channel.POST.value, Notice.Addressee.REPRESENTATIVES.value),
]


class CampaignRefused(Exception):
    """Raised when a campaign action is not allowed now; the message names no person.

    `link` names where the DPO fixes what is missing (a page anchor), when there is such a place.
    """

    def __init__(self, message: str, *, link: str = "") -> None:
        super().__init__(message)
        self.link = link


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


def require_inform_decision(breach_file: BreachFile) -> Any:
    """Return the decision to inform the data subjects, or refuse: a launch needs one."""
    decision = inform_decision(breach_file)
    if decision is None:
        raise CampaignRefused(
            _("No decision to inform the data subjects (Art. 34) is recorded for this breach file: record it first.")
        )
    return decision


def launch_campaign(
    *, breach_file: BreachFile, user: User | None, channels: Iterable[str], now: datetime | None = None
) -> LaunchResult:
    """Give every data subject the inform decision covers a ledger row per channel, or list them unreachable."""
    now = now or timezone.now()
    campaign, is_new = prepare_launch(breach_file=breach_file, user=user, channels=channels, now=now)
    result = fill_campaign(campaign_id=campaign.pk, user=user, now=now)
    result.is_new_campaign = is_new
    return result


def queue_launch(
    *, breach_file: BreachFile, user: User | None, channels: Iterable[str], now: datetime | None = None
) -> Campaign:
    """Refuse now what a launch would refuse, record the campaign and queue the task that fills its ledger."""
    from notifications.tasks import campaigns as campaign_tasks

    campaign, _is_new = prepare_launch(breach_file=breach_file, user=user, channels=channels, now=now)
    # celery-types does not know Django's task class, which adds delay_on_commit.
    campaign_tasks.fill_campaign.delay_on_commit(campaign.pk, user.pk if user else None)  # type: ignore[attr-defined]
    logger.info("campaign %s: launch queued", campaign.pk)
    return campaign


def prepare_launch(
    *, breach_file: BreachFile, user: User | None, channels: Iterable[str], now: datetime | None = None
) -> tuple[Campaign, bool]:
    """Check what a launch needs (cheap counts, in the request) and record the campaign, its ledger still to fill."""
    chosen = parse_channels(channels)
    now = now or timezone.now()
    decision = require_inform_decision(breach_file)
    if not Campaign.objects.filter(breach_file=breach_file).exists():
        ensure_ready_to_launch(breach_file)
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
    with transaction.atomic():
        postgres.lock_campaign(campaign.pk)
        campaign.refresh_from_db()
        campaign.channels = [channel for channel in Channel.values if channel in set(campaign.channels) | set(chosen)]
        campaign.populated_at = None
        campaign.fill_queued_at = now
        campaign.fill_failed_at = None
        campaign.fill_error = ""
        campaign.save(update_fields=["channels", "populated_at", "fill_queued_at", "fill_failed_at", "fill_error"])
    return campaign, is_new


def fill_campaign(*, campaign_id: int, user: User | None, now: datetime | None = None) -> LaunchResult:
    """Fill the campaign's ledger with what is missing; a failure is recorded on the campaign, never left silent.

    Safe to run twice, or after a failure halfway: each step adds only the rows that do not exist yet.
    """
    now = now or timezone.now()
    campaign = Campaign.objects.select_related("breach_file").get(pk=campaign_id)
    breach_file = campaign.breach_file
    result = LaunchResult(campaign=campaign, is_new_campaign=False)
    with postgres.campaign_fill_lock(campaign.pk):
        try:
            # Checked again when it runs: the texts or the choice for minors may have changed since it was queued.
            if not campaign.notices.exists() and not campaign.unreachable.exists():
                ensure_ready_to_launch(breach_file)
            unreachable_before = campaign.unreachable.count()
            result.created = _populate(campaign=campaign, now=now, result=result)
        except Exception as error:
            code = Campaign.FillError.REFUSED if isinstance(error, CampaignRefused) else Campaign.FillError.ERROR
            Campaign.objects.filter(pk=campaign.pk).update(fill_failed_at=timezone.now(), fill_error=code)
            logger.exception("campaign %s: the fill of the ledger stopped (%s)", campaign.pk, code)
            raise
        _finish_fill(campaign=campaign, user=user, now=now, result=result, unreachable_before=unreachable_before)
    logger.info("campaign %s launched: %s new notices", campaign.pk, result.created_total)
    return result


def _finish_fill(
    *, campaign: Campaign, user: User | None, now: datetime, result: LaunchResult, unreachable_before: int
) -> None:
    from notifications.selectors.information import count_persons_with_notice

    breach_file = campaign.breach_file
    with transaction.atomic():
        postgres.lock_campaign(campaign.pk)
        campaign.refresh_from_db()
        result.campaign = campaign
        campaign.populated_at = now
        campaign.persons_with_notice = count_persons_with_notice([breach_file.pk])[breach_file.pk]
        campaign.save(update_fields=["populated_at", "persons_with_notice"])
        result.existing = max(0, campaign.notices.count() - result.created_total)
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


def ensure_ready_to_launch(breach_file: BreachFile) -> None:
    """Refuse a first launch while a recipient's language lacks the DPO's text, or minors of 15 to 17 have no
    recorded choice of who is told."""
    covered = subjects_to_inform(breach_file)
    # The proposed texts are whole in each language; once the DPO wrote their own account in one language, every
    # recipient's language needs theirs too, or some persons would read another, older story.
    stored = stored_languages(breach_file)
    languages = set(covered.order_by().values_list("language", flat=True).distinct()) if stored else set()
    missing = sorted(languages - stored)
    if missing:
        names = ", ".join(str(DataSubject.Language(language).label) for language in missing)
        raise CampaignRefused(
            _(
                "Some recipients read %(languages)s, and the text in that language is not saved yet while another "
                "language's is: write or review it, save it, then launch."
            )
            % {"languages": names},
            link=f"#text-{missing[0]}",
        )
    if not breach_file.adolescent_addressee and _has_adolescents(covered, on=timezone.localdate()):
        raise CampaignRefused(
            _(
                "Some recipients are minors aged 15 to 17: record who is informed (the minor, the legal "
                "representatives or both) and why, then launch."
            ),
            link="#minors",
        )


def _has_adolescents(covered: Any, *, on: date) -> bool:
    """Tell whether minors of 15 to 17 are among the covered persons on the letter date.

    The age group stored at import may have aged (a child of 14 then may be 15 now): the few minors are decrypted
    and aged again, the adults are not read.
    """
    minors = covered.filter(age_group__in=[AgeGroup.CHILD, AgeGroup.ADOLESCENT]).only("pk", "personal_token")
    # A minor whose data cannot be read is told nothing by this launch (their notices end unreadable): no choice needed.
    return any(
        (personal := subject.readable_personal) is not None
        and age_group_on(personal.birth_date, on) == AgeGroup.ADOLESCENT
        for subject in minors.iterator()
    )


def recipients_of(
    subject: DataSubject, *, channels: set[str], age_group: str, adolescent_addressee: str
) -> list[tuple[str, str]]:
    """Return the (channel, addressee) pairs that tell this person, after the rules for minors (DOMAIN.md section 9).

    Under the digital age the holders of parental authority get a letter at the child's address and no email goes
    to the child's own address; from 15 to 17 the breach file's recorded choice applies (both when a birthday since
    the import found no choice); a minor whose care is kept confidential (CSP L.1111-5) is told personally.
    """
    usable = [channel for channel in subject.channels if channel in channels]
    own: list[tuple[str, str]] = [(channel, Notice.Addressee.SUBJECT.value) for channel in usable]
    if subject.has_confidential_care or age_group in (AgeGroup.ADULT, AgeGroup.UNKNOWN):
        return own
    representatives: list[tuple[str, str]] = (
        [(Channel.POST.value, Notice.Addressee.REPRESENTATIVES.value)] if Channel.POST in usable else []
    )
    if age_group == AgeGroup.CHILD:
        return representatives
    choice = adolescent_addressee or AdolescentAddressee.BOTH
    if choice == AdolescentAddressee.MINOR:
        return own
    if choice == AdolescentAddressee.REPRESENTATIVES:
        return representatives
    return own + representatives


def _postcode(subject: DataSubject) -> str:
    # Unreadable data has no postcode to sort by: such a letter is set aside, never printed.
    personal = subject.readable_personal
    return personal.postcode[:10] if personal else ""


def _populate(
    *, campaign: Campaign, now: datetime, result: LaunchResult, setwise: bool | None = None
) -> dict[str, int]:
    """Insert the missing rows: set-wise in PostgreSQL, person by person elsewhere; each step commits its rows."""
    covered = subjects_to_inform(campaign.breach_file)
    if setwise is None:
        setwise = connection.vendor == "postgresql"
    if not setwise:
        each, result.covered = _populate_each(campaign=campaign, subjects=covered, now=now)
        return dict(each)
    result.covered = covered.count()
    created: Counter[str] = Counter()
    adolescent_addressee = campaign.breach_file.adolescent_addressee
    unreadable: list[int] = []
    with transaction.atomic():
        postgres.stage_subjects(_staged_rows(covered, letter_date=campaign.letter_date, unreadable=unreadable))
    if unreadable:
        # Each person whose data cannot be read fails alone: their notices end "Data unreadable", the rest goes on.
        with transaction.atomic():
            postgres.lock_campaign(campaign.pk)
            created.update(_unreadable_notices(campaign=campaign, subject_ids=unreadable, now=now))
        covered = covered.exclude(pk__in=unreadable)
    try:
        for channel, addressee in _PAIRS:
            if channel not in campaign.channels:
                continue
            with transaction.atomic():
                postgres.lock_campaign(campaign.pk)
                created[channel] += postgres.fill_notices(
                    campaign_id=campaign.pk,
                    breach_file_id=campaign.breach_file_id,
                    covered=covered,
                    channel=channel,
                    addressee=addressee,
                    adolescent_addressee=adolescent_addressee,
                    now=now,
                )
        with transaction.atomic():
            postgres.lock_campaign(campaign.pk)
            postgres.fill_unreachable(
                campaign_id=campaign.pk,
                breach_file_id=campaign.breach_file_id,
                covered=covered,
                channels=list(campaign.channels),
                adolescent_addressee=adolescent_addressee,
                now=now,
            )
    finally:
        postgres.drop_staged_subjects()
    return {channel: count for channel, count in created.items() if count}


def _staged_rows(covered: Any, *, letter_date: date, unreadable: list[int]) -> Iterator[list[tuple[int, str, str]]]:
    """Decrypt what the set-wise fill needs and the database holds encrypted: the one step that reads personal data.

    The postcode of each letter (letters are batched in postcode order) and the age group on the letter date, from
    the birth date (an age group stored at import may have aged since). Adults reached by email only are not read:
    an adult at import is an adult today.
    """
    needed = covered.filter(
        models.Q(has_postal_address=True, address_needs_review=False)
        | (~models.Q(age_group=AgeGroup.ADULT) & models.Q(has_confidential_care=False))
    )
    rows = needed.order_by("pk").values_list("pk", "personal_token")
    last_pk = 0
    while chunk := list(rows.filter(pk__gt=last_pk)[:STAGE_CHUNK]):
        last_pk = chunk[-1][0]
        staged = []
        for pk, token in chunk:
            try:
                data = decrypt_json(token)
            except DecryptionError:
                unreadable.append(pk)  # named by id only; its notices are set aside by the caller
                continue
            birth = data.get("birth_date")
            age_group = age_group_on(date.fromisoformat(birth) if birth else None, letter_date)
            staged.append((pk, str(data.get("postcode", ""))[:10], age_group))
        yield staged


def _populate_each(*, campaign: Campaign, subjects: Any, now: datetime) -> tuple[Counter[str], int]:
    """Insert missing rows chunk by chunk, each chunk under the campaign lock; return what was created and covered."""
    created: Counter[str] = Counter()
    covered = 0
    breach_file_id = campaign.breach_file_id
    channels = set(campaign.channels)
    adolescent_addressee = campaign.breach_file.adolescent_addressee
    subjects = subjects.order_by("pk").only(
        "pk",
        "personal_token",
        "language",
        "has_postal_address",
        "address_needs_review",
        "has_email",
        "has_confidential_care",
    )
    last_pk = 0
    while True:
        chunk = list(subjects.filter(pk__gt=last_pk)[:POPULATE_CHUNK])
        if not chunk:
            break
        last_pk = chunk[-1].pk
        covered += len(chunk)
        with transaction.atomic():
            postgres.lock_campaign(campaign.pk)
            created.update(
                _populate_chunk(
                    campaign=campaign,
                    chunk=chunk,
                    breach_file_id=breach_file_id,
                    channels=channels,
                    adolescent_addressee=adolescent_addressee,
                    now=now,
                )
            )
    return created, covered


def _populate_chunk(
    *,
    campaign: Campaign,
    chunk: list[DataSubject],
    breach_file_id: int,
    channels: set[str],
    adolescent_addressee: str,
    now: datetime,
) -> Counter[str]:
    created: Counter[str] = Counter()
    existing = set(
        Notice.objects.filter(breach_file_id=breach_file_id, subject_id__in=[s.pk for s in chunk]).values_list(
            "subject_id", "channel", "addressee"
        )
    )
    new: list[Notice] = []
    unreachable: list[UnreachableSubject] = []
    reachable: list[int] = []
    unreadable: list[int] = []
    for subject in chunk:
        # The age on the letter date, from the decrypted birth date: import's age group may have aged since.
        personal = subject.readable_personal
        if personal is None:
            unreadable.append(subject.pk)
            continue
        age_group = age_group_on(personal.birth_date, campaign.letter_date)
        pairs = recipients_of(
            subject, channels=channels, age_group=age_group, adolescent_addressee=adolescent_addressee
        )
        if not pairs:
            if not subject.channels:
                reason = UnreachableSubject.Reason.NO_CHANNEL
            elif subject.has_postal_address or not any(channel in channels for channel in subject.channels):
                # A minor with an address the launch did not write to: a later launch by post reaches them.
                reason = UnreachableSubject.Reason.NO_CHANNEL_CHOSEN
            else:
                reason = UnreachableSubject.Reason.MINOR_WITHOUT_POSTAL_ADDRESS
            if not any(key[0] == subject.pk for key in existing):
                unreachable.append(
                    UnreachableSubject(campaign=campaign, subject=subject, reason=reason, recorded_at=now)
                )
            continue
        reachable.append(subject.pk)
        for channel, addressee in pairs:
            if (subject.pk, channel, addressee) in existing:
                continue
            new.append(new_notice(campaign, subject, channel, now, Notice.Origin.LAUNCH, addressee=addressee))
            created[channel] += 1
    Notice.objects.bulk_create(new, ignore_conflicts=True)
    UnreachableSubject.objects.bulk_create(unreachable, ignore_conflicts=True)
    if unreadable:
        created.update(_unreadable_notices(campaign=campaign, subject_ids=unreadable, now=now))
    # A later launch with another channel, or after an address to review was corrected, may reach people listed
    # unreachable before.
    UnreachableSubject.objects.filter(
        campaign=campaign,
        subject_id__in=reachable,
        reason__in=[UnreachableSubject.Reason.NO_CHANNEL_CHOSEN, UnreachableSubject.Reason.NO_CHANNEL],
    ).delete()
    return created


def _unreadable_notices(*, campaign: Campaign, subject_ids: list[int], now: datetime) -> Counter[str]:
    """Give each person whose data cannot be read a notice per channel of theirs, ended "Data unreadable".

    Nothing of them can be read (not even their age), so the notices are addressed to them; the DPO sees them listed
    on the campaign page and no worker ever acts on them. Launching again creates nothing new.
    """
    from notifications.services.ledger import UNREADABLE_ERROR  # the ledger builds on this module

    created: Counter[str] = Counter()
    subjects = DataSubject.objects.filter(pk__in=subject_ids).only(
        "pk", "personal_token", "language", "has_postal_address", "address_needs_review", "has_email"
    )
    existing = set(
        Notice.objects.filter(breach_file_id=campaign.breach_file_id, subject_id__in=subject_ids).values_list(
            "subject_id", "channel"
        )
    )
    new: list[Notice] = []
    for subject in subjects:
        for channel in subject.channels:
            if channel not in campaign.channels or (subject.pk, channel) in existing:
                continue
            notice = new_notice(campaign, subject, channel, now, Notice.Origin.LAUNCH)
            notice.state = NoticeState.UNREADABLE
            notice.last_error = UNREADABLE_ERROR
            new.append(notice)
            created[channel] += 1
    Notice.objects.bulk_create(new, ignore_conflicts=True)
    return created


def new_notice(
    campaign: Campaign,
    subject: DataSubject,
    channel: str,
    now: datetime,
    origin: str,
    *,
    addressee: str = Notice.Addressee.SUBJECT,
) -> Notice:
    return Notice(
        campaign=campaign,
        breach_file_id=campaign.breach_file_id,
        subject=subject,
        channel=channel,
        origin=origin,
        addressee=addressee,
        reference=make_reference(campaign.breach_file_id, subject.pk, channel, addressee),
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
    for _renderer in range(max(1, settings.NOTICE_RENDER_TASKS)):
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
    unknown = check_conditions(cleaned)
    if unknown:
        raise ValidationError(unknown)
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


@transaction.atomic
def record_letter_choices(
    *,
    breach_file: BreachFile,
    adolescent_addressee: str,
    reason: str,
    sensitive_detail: str,
    user: User | None,
    now: datetime | None = None,
) -> BreachFile:
    """Record who is told about minors of 15 to 17 (with the reason) and where letters name specific health items."""
    if Campaign.objects.filter(breach_file=breach_file).exists():
        raise CampaignRefused(_("The campaign is launched: who receives the letters can no longer change."))
    errors: dict[str, str] = {}
    if adolescent_addressee and adolescent_addressee not in AdolescentAddressee.values:
        errors["adolescent_addressee"] = _("Unknown choice.")
    if adolescent_addressee and not reason.strip():
        errors["adolescent_addressee_reason"] = _("Say why this choice suits these minors.")
    if sensitive_detail not in SensitiveDetail.values:
        errors["sensitive_detail"] = _("Unknown choice.")
    if errors:
        raise ValidationError(errors)
    breach_file.adolescent_addressee = adolescent_addressee
    breach_file.adolescent_addressee_reason = reason.strip() if adolescent_addressee else ""
    breach_file.sensitive_detail = sensitive_detail
    breach_file.save(
        update_fields=["adolescent_addressee", "adolescent_addressee_reason", "sensitive_detail", "updated_at"]
    )
    record_event(
        breach_file=breach_file,
        kind=NotificationTimelineKind.LETTER_CHOICES_RECORDED,
        actor=user,
        at=now or timezone.now(),
        params={"adolescent_addressee": adolescent_addressee, "sensitive_detail": sensitive_detail},
    )
    record_audit(
        user=user,
        action=AuditEvent.Action.CHANGE,
        object_type=NotificationAuditObject.CAMPAIGN,
        object_id=breach_file.pk,
        organisation_id=breach_file.controller_id,
        detail=f"adolescents={adolescent_addressee or '-'} detail={sensitive_detail}",
    )
    return breach_file
