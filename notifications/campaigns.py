"""Art. 34 campaigns: launch, the ledger's transitions, claims, the sweep, undelivered emails and returned letters."""

from __future__ import annotations

import logging
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, models, transaction
from django.db.models import F, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from breachdesk.assessment import current_decisions, subjects_to_inform
from breachdesk.copying import column_of, copy_into
from breachdesk.models import AuditEvent, BreachFile, DataSubject, DecisionKind, DecisionOutcome, User
from breachdesk.services import record_audit, record_event
from breachdesk.taxonomy import Consequence, DataCategory
from notifications.campaign_models import (
    TERMINAL_STATES,
    Campaign,
    Channel,
    Notice,
    NoticeEvent,
    NoticeState,
    NoticeText,
    PrintBatch,
    UnreachableSubject,
)

logger = logging.getLogger(__name__)


class BatchRenderError(RuntimeError):
    """A print batch failed to render; the message names the batch and the error type, never its content."""


SECTIONS = ("what_happened", "consequences", "measures", "advice")
POPULATE_CHUNK = 2000


class CampaignRefused(Exception):
    """Raised when a campaign action is not allowed now; the message names no person."""


# --- The letter text ---------------------------------------------------------------------------------------------

CONSEQUENCE_WORDS: dict[str, tuple[str, str]] = {
    Consequence.LOSS_OF_CONTROL: ("la perte de maîtrise de vos données", "losing control over your data"),
    Consequence.DISCRIMINATION: ("des discriminations", "discrimination"),
    Consequence.IDENTITY_THEFT: ("une usurpation de votre identité", "identity theft"),
    Consequence.FRAUD: ("des tentatives d'escroquerie", "fraud attempts"),
    Consequence.FINANCIAL_LOSS: ("une perte financière", "financial loss"),
    Consequence.REPUTATION: ("une atteinte à votre réputation", "damage to your reputation"),
    Consequence.PROFESSIONAL_SECRECY: (
        "la divulgation d'informations couvertes par le secret médical",
        "disclosure of information covered by medical secrecy",
    ),
    Consequence.OTHER: ("d'autres préjudices", "other harm"),
}

# Emails describe exposure at the level of the CNIL categories, never the pathology.
CATEGORY_WORDS: dict[str, tuple[str, str]] = {
    DataCategory.CIVIL_STATUS: (
        "votre identité (nom, prénom, date de naissance)",
        "your identity (name, date of birth)",
    ),
    DataCategory.NIR: ("votre numéro de sécurité sociale", "your social security number"),
    DataCategory.CONTACT: ("vos coordonnées", "your contact details"),
    DataCategory.ACCESS: ("des données d'identification ou d'accès", "identification or access data"),
    DataCategory.FINANCIAL: ("des données financières", "financial data"),
    DataCategory.OFFICIAL_DOCUMENTS: ("des documents officiels", "official documents"),
    DataCategory.LOCATION: ("des données de localisation", "location data"),
    DataCategory.OFFENCES: ("des données relatives à des infractions", "data about offences"),
    DataCategory.HEALTH: ("des données de santé", "health data"),
    DataCategory.GENETIC: ("des données génétiques", "genetic data"),
    DataCategory.OTHER: ("d'autres informations administratives", "other administrative information"),
    DataCategory.UNKNOWN: ("des données encore en cours d'identification", "data still being identified"),
}


def category_words(categories: Iterable[str], language: str) -> list[str]:
    index = 1 if language == "en" else 0
    return [CATEGORY_WORDS[category][index] for category in categories if category in CATEGORY_WORDS]


def default_texts(breach_file: BreachFile, language: str) -> dict[str, str]:
    """Propose the four sections from the breach file, in plain words; the DPO edits them before launch."""
    english = language == "en"
    organisation = breach_file.controller.name
    processor = breach_file.incident.processor
    consequences = [
        CONSEQUENCE_WORDS[code][1 if english else 0] for code in breach_file.consequences if code in CONSEQUENCE_WORDS
    ]
    measures = "\n".join(
        text
        for text in (breach_file.measures_immediate, breach_file.measures_medium_term, breach_file.measures_long_term)
        if text.strip()
    )
    if english:
        via = f" held by {processor.name}, a service provider of {organisation}," if processor else ""
        return {
            "what_happened": (
                f"We are writing to tell you that personal data about you{via} were exposed in a personal data breach. "
                "A file containing information about patients was made accessible to unauthorised persons. "
                "We are informing each person concerned individually."
            ),
            "consequences": (
                "These data could be used against you, in particular for "
                + (", ".join(consequences) if consequences else "targeted phishing attempts or identity theft")
                + ". Some of them are covered by medical secrecy."
            ),
            "measures": measures
            or (
                "We stopped the exposure as soon as we knew of it, notified the CNIL (the French data protection "
                "authority) and asked our service provider to strengthen its security."
            ),
            "advice": (
                "Be wary of any message (email, text message, phone call, letter) that mentions your health, your "
                "laboratory or your social security and asks you for money, passwords or bank details: we will never "
                "ask you for them.\n"
                "Watch for signs of identity theft: mail or accounts you do not recognise, unexpected bank charges.\n"
                "You can check whether bank accounts were opened in your name by asking the FICOBA file through "
                "the CNIL (www.cnil.fr).\n"
                "You can file a complaint with the CNIL (www.cnil.fr/plaintes) and with the police.\n"
                "For any question, contact our data protection officer at the details below."
            ),
        }
    via = f" détenues par {processor.name}, prestataire de {organisation}," if processor else ""
    return {
        "what_happened": (
            f"Nous vous informons que des données personnelles vous concernant{via} ont été exposées lors d'une "
            "violation de données personnelles. Un fichier contenant des informations sur des patients a été rendu "
            "accessible à des personnes non autorisées. Nous informons chaque personne concernée individuellement."
        ),
        "consequences": (
            "Ces données pourraient être utilisées à votre encontre, notamment pour "
            + (
                ", ".join(consequences)
                if consequences
                else "des tentatives d'hameçonnage ciblées ou une usurpation d'identité"
            )
            + ". Certaines d'entre elles sont couvertes par le secret médical."
        ),
        "measures": measures
        or (
            "Nous avons fait cesser l'exposition dès que nous en avons eu connaissance, notifié la CNIL et demandé "
            "à notre prestataire de renforcer sa sécurité."
        ),
        "advice": (
            "Méfiez-vous de tout message (courriel, SMS, appel, courrier) qui évoque votre santé, votre laboratoire "
            "ou votre sécurité sociale et vous demande de l'argent, un mot de passe ou vos coordonnées bancaires : "
            "nous ne vous les demanderons jamais.\n"
            "Surveillez les signes d'une usurpation d'identité : courriers ou comptes que vous ne reconnaissez pas, "
            "prélèvements inattendus.\n"
            "Vous pouvez vérifier qu'aucun compte bancaire n'a été ouvert à votre nom en interrogeant le fichier "
            "FICOBA par l'intermédiaire de la CNIL (www.cnil.fr).\n"
            "Vous pouvez déposer une plainte auprès de la CNIL (www.cnil.fr/plaintes) et auprès de la police ou "
            "de la gendarmerie.\n"
            "Pour toute question, contactez notre délégué à la protection des données aux coordonnées ci-dessous."
        ),
    }


def notice_texts(breach_file: BreachFile) -> dict[str, dict[str, str]]:
    """Return the current text per language: the campaign's frozen text once launched, else the DPO's or the default."""
    campaign = Campaign.objects.filter(breach_file=breach_file).first()
    if campaign is not None and campaign.texts:
        return campaign.texts
    stored = {text.language: text for text in NoticeText.objects.filter(breach_file=breach_file)}
    texts: dict[str, dict[str, str]] = {}
    for language in ("fr", "en"):
        if language in stored:
            texts[language] = {section: getattr(stored[language], section) for section in SECTIONS}
        else:
            texts[language] = default_texts(breach_file, language)
    return texts


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
        object_type="notice_text",
        object_id=text.pk,
        organisation_id=breach_file.controller_id,
        detail=language,
    )
    return text


# --- References ----------------------------------------------------------------------------------------------------

CHANNEL_LETTER = {Channel.POST: "P", Channel.EMAIL: "E"}


def make_reference(breach_file_id: int, subject_id: int, channel: str) -> str:
    """Build the printed reference: ids and channel with an ISO 7064 mod 97 key that catches typing errors."""
    letter = CHANNEL_LETTER[Channel(channel)]
    digits = f"{breach_file_id}{subject_id:07d}{1 if letter == 'P' else 2}"
    key = 98 - (int(digits) * 100) % 97
    return f"{breach_file_id}-{subject_id:07d}-{letter}{key:02d}"


def normalise_reference(text: str) -> str | None:
    """Return the reference typed or scanned, normalised, or None when its key does not match."""
    compact = "".join(text.split()).upper()
    parts = compact.split("-")
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit() or len(parts[2]) != 3:
        return None
    letter, key = parts[2][0], parts[2][1:]
    if letter not in ("P", "E") or not key.isdigit():
        return None
    channel = Channel.POST if letter == "P" else Channel.EMAIL
    expected = make_reference(int(parts[0]), int(parts[1]), channel)
    return expected if expected == compact else None


# --- Launch --------------------------------------------------------------------------------------------------------


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


def _lock_campaign(campaign_id: int) -> None:
    """Serialise writers of one campaign: a row lock on PostgreSQL, the write lock on SQLite."""
    if connection.vendor == "sqlite":
        Campaign.objects.filter(pk=campaign_id).update(populated_at=F("populated_at"))
    else:
        Campaign.objects.select_for_update().filter(pk=campaign_id).values_list("pk", flat=True).first()


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
        _lock_campaign(campaign.pk)
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
                kind="campaign_launched",
                actor=user,
                at=now,
                summary=_(
                    "Data subjects' information launched: %(post)s letters, %(email)s emails, %(unreachable)s unreachable."
                )
                % {
                    "post": result.created.get(Channel.POST, 0),
                    "email": result.created.get(Channel.EMAIL, 0),
                    "unreachable": result.unreachable,
                },
            )
        record_audit(
            user=user,
            action=AuditEvent.Action.CREATE,
            object_type="campaign",
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
                new.append(_new_notice(campaign, subject, channel, now, Notice.Origin.LAUNCH))
                created[channel] += 1
        Notice.objects.bulk_create(new, ignore_conflicts=True)
        UnreachableSubject.objects.bulk_create(unreachable, ignore_conflicts=True)
        # A later launch with another channel may reach people listed unreachable before.
        UnreachableSubject.objects.filter(
            campaign=campaign, subject_id__in=reachable, reason=UnreachableSubject.Reason.NO_CHANNEL_CHOSEN
        ).delete()
    return dict(created)


def _new_notice(campaign: Campaign, subject: DataSubject, channel: str, now: datetime, origin: str) -> Notice:
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
    from notifications import campaign_tasks

    # celery-types does not know Django's task class, which adds delay_on_commit.
    campaign_tasks.build_print_batches.delay_on_commit(campaign_id)  # type: ignore[attr-defined]
    campaign_tasks.send_notice_emails.delay_on_commit(campaign_id)  # type: ignore[attr-defined]


# --- Transitions ---------------------------------------------------------------------------------------------------


def _events(
    rows: Iterable[tuple[int, str, int]], to_state: str, at: datetime, error: str = "", actor: User | None = None
) -> list[NoticeEvent]:
    return [
        NoticeEvent(
            notice_id=pk, from_state=from_state, to_state=to_state, at=at, attempt=attempt, error=error, actor=actor
        )
        for pk, from_state, attempt in rows
    ]


def insert_events(rows: list[tuple[int, str, str, datetime, int, str]]) -> None:
    """Insert (notice id, from state, to state, at, attempt, error) events: COPY on PostgreSQL, ORM elsewhere.

    The sending loop writes two events per email; building model instances for them cost more than the SMTP exchange.
    """
    if not rows:
        return
    if connection.vendor != "postgresql":
        NoticeEvent.objects.bulk_create(
            NoticeEvent(notice_id=pk, from_state=source, to_state=target, at=at, attempt=attempt, error=error)
            for pk, source, target, at, attempt, error in rows
        )
        return
    with copy_into(NoticeEvent, ("notice", "from_state", "to_state", "at", "attempt", "error")) as copy:
        for row in rows:
            copy.write_row(row)


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
        NoticeEvent.objects.bulk_create(_events(rows, to_state, at, error, actor))
    return ids


# --- Emails --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    token: uuid.UUID
    claimed_at: datetime
    notices: list[Notice]


def claim_emails(*, campaign_id: int, limit: int, now: datetime | None = None) -> Claim | None:
    """Claim due pending emails for this worker; the rows go to "sending" before any byte leaves."""
    now = now or timezone.now()
    token = uuid.uuid4()
    if connection.vendor == "postgresql":
        ids = _claim_on_postgresql(campaign_id=campaign_id, limit=limit, now=now, token=token)
    else:
        with transaction.atomic():
            _lock_campaign(campaign_id)
            ids = list(
                Notice.objects.filter(campaign_id=campaign_id, channel=Channel.EMAIL, state=NoticeState.PENDING)
                .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
                .order_by("pk")
                .values_list("pk", flat=True)[:limit]
            )
            Notice.objects.filter(pk__in=ids, state=NoticeState.PENDING).update(
                state=NoticeState.SENDING,
                claim_token=token,
                claimed_at=now,
                attempts=F("attempts") + 1,
                state_changed_at=now,
            )
    if not ids:
        return None
    notices = list(
        Notice.objects.filter(pk__in=ids, claim_token=token, state=NoticeState.SENDING)
        .select_related("subject")
        .only(*CLAIMED_FIELDS)
        .order_by("pk")
    )
    return Claim(token=token, claimed_at=now, notices=notices)


def _claim_on_postgresql(*, campaign_id: int, limit: int, now: datetime, token: uuid.UUID) -> list[int]:
    """One statement: lock the next due rows in id order, skipping those another worker holds, and move them.

    The ORM needs a transaction and three round trips for this; at a thousand emails a second they showed.
    """
    table = Notice._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            # MATERIALIZED: the locking subquery runs once, so the LIMIT holds.
            f"WITH due AS MATERIALIZED (SELECT id FROM {table} "  # noqa: S608 - values bound
            "WHERE campaign_id = %s AND channel = %s AND state = %s "
            "AND (next_attempt_at IS NULL OR next_attempt_at <= %s) ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED) "
            f"UPDATE {table} AS notice SET state = %s, claim_token = %s, claimed_at = %s, "
            "attempts = notice.attempts + 1, state_changed_at = %s FROM due WHERE notice.id = due.id RETURNING notice.id",
            [campaign_id, Channel.EMAIL, NoticeState.PENDING, now, limit, NoticeState.SENDING, token, now, now],
        )
        return sorted(row[0] for row in cursor.fetchall())


# What composing and recording an email read of a claimed row: loading whole rows cost as much as sending.
CLAIMED_FIELDS = (
    "pk",
    "campaign_id",
    "reference",
    "language",
    "attempts",
    "state",
    "subject_id",
    "subject__personal_token",
    "subject__exposures",
    "subject__country",
    "subject__language",
)


class Outcome:
    SENT = "sent"
    TRANSIENT = "transient"
    PERMANENT = "permanent"
    UNKNOWN = "unknown"


def retry_delay(attempts: int) -> timedelta:
    """Back off after a transient error: the configured steps, the last one repeated."""
    steps: list[int] = list(settings.NOTICE_RETRY_BACKOFF_SECONDS)
    return timedelta(seconds=steps[min(max(attempts, 1), len(steps)) - 1])


def record_email_outcomes(
    *, claim: Claim, outcomes: dict[int, tuple[str, str]], now: datetime | None = None
) -> Counter[str]:
    """Apply what the SMTP server answered to the claimed rows, with one event per move; return counts per state.

    A row only moves if this claim still holds it: the sweep may have declared the claim dead meanwhile, and its
    verdict stands.
    """
    now = now or timezone.now()
    counts: Counter[str] = Counter()
    attempts_of = {notice.pk: notice.attempts for notice in claim.notices}
    by_target: dict[tuple[str, str, datetime | None], list[int]] = defaultdict(list)
    for pk, (kind, error) in outcomes.items():
        attempts = attempts_of.get(pk)
        if attempts is None:
            continue
        if kind == Outcome.SENT:
            target: str = NoticeState.SENT
            retry_at: datetime | None = None
        elif kind == Outcome.TRANSIENT and attempts < settings.NOTICE_EMAIL_MAX_ATTEMPTS:
            target, retry_at = NoticeState.PENDING, now + retry_delay(attempts)
        elif kind == Outcome.UNKNOWN:
            target, retry_at = NoticeState.UNKNOWN, None
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
                "last_error": error,
            }
            if target == NoticeState.SENT:
                values["sent_at"] = now
            elif target == NoticeState.PENDING:
                values["next_attempt_at"] = retry_at
            elif target == NoticeState.FAILED_PERMANENT:
                values["failed_at"] = now
            moved = _move_claimed(ids=ids, token=claim.token, values=values)
            for pk in moved:
                attempts = attempts_of[pk]
                events.append((pk, NoticeState.PENDING, NoticeState.SENDING, claim.claimed_at, attempts, ""))
                events.append((pk, NoticeState.SENDING, target, now, attempts, error))
            if moved:
                counts[target] += len(moved)
            if target == NoticeState.FAILED_PERMANENT:
                undelivered.extend(moved)
        insert_events(events)
        for pk in sorted(undelivered):
            fall_back_to_other_channel(notice_id=pk, now=now)
    return counts


def _move_claimed(*, ids: list[int], token: uuid.UUID, values: dict[str, Any]) -> list[int]:
    """Set values on the rows of ids this claim still holds; return the ids moved."""
    if connection.vendor == "postgresql":
        # One statement instead of a locking read and an update: a thousand emails a second make it show.
        assignments = ", ".join(f"{column_of(Notice, name)} = %s" for name in values)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {Notice._meta.db_table} SET {assignments} "  # noqa: S608 - columns from the model, values bound
                "WHERE id = ANY(%s) AND claim_token = %s AND state = %s RETURNING id",
                [*values.values(), ids, token, NoticeState.SENDING],
            )
            return [row[0] for row in cursor.fetchall()]
    mine = list(
        Notice.objects.select_for_update()
        .filter(pk__in=ids, claim_token=token, state=NoticeState.SENDING)
        .values_list("pk", flat=True)
    )
    Notice.objects.filter(pk__in=mine).update(**values)
    return mine


def next_email_attempt_at(campaign_id: int) -> datetime | None:
    """Return when the earliest email waiting on a back-off is due, if any."""
    return (
        Notice.objects.filter(campaign_id=campaign_id, channel=Channel.EMAIL, state=NoticeState.PENDING)
        .exclude(next_attempt_at__isnull=True)
        .order_by("next_attempt_at")
        .values_list("next_attempt_at", flat=True)
        .first()
    )


def resolve_unknown(*, breach_file: BreachFile, notice_ids: list[int], resend: bool, user: User | None) -> list[int]:
    """A person decides on emails of unknown fate: send again (same Message-ID) or accept them as sent."""
    now = timezone.now()
    notices = Notice.objects.filter(breach_file=breach_file, channel=Channel.EMAIL, pk__in=notice_ids)
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
        object_type="notice",
        object_id=",".join(str(pk) for pk in moved[:10]),
        organisation_id=breach_file.controller_id,
        detail=f"unknown {'resend' if resend else 'accepted'} x{len(moved)}",
    )
    if resend and moved:
        campaign_id = Notice.objects.filter(pk=moved[0]).values_list("campaign_id", flat=True).get()
        wake_campaign(campaign_id)
    return moved


# --- Fallback between channels ---------------------------------------------------------------------------------------


def fall_back_to_other_channel(*, notice_id: int, now: datetime | None = None) -> Notice | None:
    """After an email fails or a letter returns, add the other channel once, or list the person unreachable."""
    now = now or timezone.now()
    notice = Notice.objects.select_related("campaign", "subject").get(pk=notice_id)
    other = Channel.POST if notice.channel == Channel.EMAIL else Channel.EMAIL
    subject = notice.subject
    reachable = subject.has_postal_address if other == Channel.POST else subject.has_email
    created: Notice | None = None
    with transaction.atomic():
        if reachable:
            origin = Notice.Origin.EMAIL_UNDELIVERED if other == Channel.POST else Notice.Origin.LETTER_RETURNED
            candidate = _new_notice(notice.campaign, subject, other, now, origin)
            with transaction.atomic():
                try:
                    candidate.save(force_insert=True)
                    created = candidate
                except IntegrityError:
                    created = None  # the other channel's notice already exists: exactly one per person and channel
            if created is not None:
                NoticeEvent.objects.create(
                    notice=created,
                    from_state="",
                    to_state=NoticeState.PENDING,
                    at=now,
                    error=f"after {notice.reference}",
                )
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


# --- Letters and the mailroom --------------------------------------------------------------------------------------


def claim_print_batch(*, campaign_id: int, size: int | None = None, now: datetime | None = None) -> PrintBatch | None:
    """Take the next letters in postcode order into a new batch; a letter belongs to one batch only, ever."""
    now = now or timezone.now()
    size = size or settings.NOTICE_BATCH_SIZE
    token = uuid.uuid4()
    with transaction.atomic():
        _lock_campaign(campaign_id)
        rows = list(
            Notice.objects.filter(
                campaign_id=campaign_id, channel=Channel.POST, state=NoticeState.PENDING, batch__isnull=True
            )
            .order_by("postcode", "pk")
            .values_list("pk", "attempts", "postcode")[:size]
        )
        if not rows:
            return None
        number = (PrintBatch.objects.filter(campaign_id=campaign_id).aggregate(last=Max("number"))["last"] or 0) + 1
        batch = PrintBatch.objects.create(
            campaign_id=campaign_id,
            number=number,
            state=PrintBatch.State.RENDERING,
            letters=len(rows),
            postcode_first=rows[0][2],
            postcode_last=rows[-1][2],
            claim_token=token,
            claimed_at=now,
            render_attempts=1,
        )
        ids = [pk for pk, _attempts, _postcode in rows]
        Notice.objects.filter(pk__in=ids).update(
            state=NoticeState.RENDERING, batch=batch, claimed_at=now, state_changed_at=now, attempts=F("attempts") + 1
        )
        NoticeEvent.objects.bulk_create(
            _events(
                ((pk, NoticeState.PENDING, attempts + 1) for pk, attempts, _postcode in rows),
                NoticeState.RENDERING,
                now,
            )
        )
    return batch


def claim_stale_batch(*, batch_id: int, now: datetime | None = None) -> uuid.UUID | None:
    """Take over a batch whose renderer stopped; the same letters are rendered again, never new ones."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.NOTICE_CLAIM_TIMEOUT_SECONDS)
    token = uuid.uuid4()
    taken = (
        PrintBatch.objects.filter(pk=batch_id, state=PrintBatch.State.RENDERING)
        .filter(Q(claimed_at__lt=stale) | Q(claimed_at__isnull=True))
        .update(claim_token=token, claimed_at=now, render_attempts=F("render_attempts") + 1)
    )
    return token if taken else None


def batch_storage_path(batch: PrintBatch) -> str:
    return f"campaigns/{batch.campaign_id}/batch-{batch.number:05d}.pdf.enc"


def render_print_batch(*, batch_id: int, token: uuid.UUID, now: datetime | None = None) -> PrintBatch:
    """Render a claimed batch, store it encrypted and mark its letters ready; a lost claim changes nothing."""
    from breachdesk import crypto
    from notifications import letters, storage

    batch = PrintBatch.objects.select_related(
        "campaign__breach_file__controller", "campaign__breach_file__incident"
    ).get(pk=batch_id)
    if batch.state != PrintBatch.State.RENDERING or batch.claim_token != token:
        return batch
    notices = list(batch.notices.select_related("subject").order_by("postcode", "pk"))
    try:
        rendered = letters.render_batch(batch=batch, notices=notices)
    except Exception as error:
        PrintBatch.objects.filter(pk=batch.pk, claim_token=token).update(last_error=type(error).__name__[:200])
        # The renderer's message may quote an address line: log and re-raise the exception's type only.
        logger.error("print batch %s failed to render: %s", batch.pk, type(error).__name__)
        raise BatchRenderError(f"print batch {batch.pk} failed to render: {type(error).__name__}") from None
    path = batch_storage_path(batch)
    storage.store_private(path, crypto.encrypt_bytes(rendered.content).encode("ascii"))
    now = now or timezone.now()
    with transaction.atomic():
        updated = PrintBatch.objects.filter(pk=batch.pk, claim_token=token, state=PrintBatch.State.RENDERING).update(
            state=PrintBatch.State.READY,
            pages=rendered.pages,
            file_path=path,
            file_sha256=rendered.sha256,
            rendered_at=now,
            claim_token=None,
            last_error="",
        )
        if updated:
            by_pages: dict[int, list[int]] = defaultdict(list)
            for notice in notices:
                by_pages[rendered.pages_by_notice[notice.pk]].append(notice.pk)
            rows = list(
                Notice.objects.filter(batch=batch, state=NoticeState.RENDERING).values_list("pk", "state", "attempts")
            )
            for pages, ids in by_pages.items():
                Notice.objects.filter(pk__in=ids, state=NoticeState.RENDERING).update(
                    state=NoticeState.READY, pages=pages, ready_at=now, state_changed_at=now
                )
            NoticeEvent.objects.bulk_create(_events(rows, NoticeState.READY, now))
    batch.refresh_from_db()
    return batch


def build_print_batches(*, campaign_id: int, limit: int | None = None) -> list[PrintBatch]:
    """Batch and render every pending letter of a campaign (the worker's loop, also run inline by commands)."""
    made: list[PrintBatch] = []
    while limit is None or len(made) < limit:
        batch = claim_print_batch(campaign_id=campaign_id)
        if batch is None:
            break
        assert batch.claim_token is not None
        made.append(render_print_batch(batch_id=batch.pk, token=batch.claim_token))
    return made


def read_batch_pdf(batch: PrintBatch) -> bytes:
    """Decrypt a batch's PDF; CampaignRefused once it was deleted after posting."""
    from breachdesk import crypto
    from notifications import storage

    if batch.state == PrintBatch.State.PURGED or not batch.file_path or not storage.exists(batch.file_path):
        raise CampaignRefused(_("This batch's file is not available (not rendered yet, or deleted after posting)."))
    return crypto.decrypt_bytes(storage.private_path(batch.file_path).read_bytes())


def manifest_rows(batch: PrintBatch) -> Iterator[list[object]]:
    """The manifest of a batch: letter reference, ledger id, pages, postcode; no health data."""
    for position, (reference, pk, pages, postcode) in enumerate(
        batch.notices.order_by("postcode", "pk").values_list("reference", "pk", "pages", "postcode"), start=1
    ):
        yield [position, reference, pk, pages, postcode]


MANIFEST_HEADER = ["position", "letter_reference", "ledger_id", "pages", "postcode"]


def manifest_csv(batch: PrintBatch) -> str:
    from notifications.csvsafe import csv_text

    return csv_text(MANIFEST_HEADER, manifest_rows(batch))


def mark_batch_printed(*, batch: PrintBatch, user: User | None, now: datetime | None = None) -> PrintBatch:
    """Record that a batch came out of the printer; its letters move to printed."""
    now = now or timezone.now()
    with transaction.atomic():
        updated = PrintBatch.objects.filter(pk=batch.pk, state=PrintBatch.State.READY).update(
            state=PrintBatch.State.PRINTED, printed_at=now, printed_by=user
        )
        if not updated:
            raise CampaignRefused(_("Only a batch ready to print can be marked printed."))
        transition(
            notices=batch.notices.all(),
            from_states=[NoticeState.READY],
            to_state=NoticeState.PRINTED,
            at=now,
            actor=user,
            printed_at=now,
        )
        _audit_batch(batch, user, "printed")
    batch.refresh_from_db()
    return batch


def mark_batch_posted(
    *, batch: PrintBatch, user: User | None, posted_on: date, now: datetime | None = None
) -> PrintBatch:
    """Record the day a printed batch was handed to the post; its letters move to posted."""
    now = now or timezone.now()
    if posted_on > timezone.localdate(now):
        raise CampaignRefused(_("The posting date cannot be in the future."))
    if posted_on < batch.campaign.letter_date:
        raise CampaignRefused(_("The posting date cannot precede the date of the letters."))
    with transaction.atomic():
        updated = PrintBatch.objects.filter(pk=batch.pk, state=PrintBatch.State.PRINTED).update(
            state=PrintBatch.State.POSTED, posted_on=posted_on, posted_at=now, posted_by=user
        )
        if not updated:
            raise CampaignRefused(_("Only a printed batch can be marked posted."))
        transition(
            notices=batch.notices.all(),
            from_states=[NoticeState.PRINTED],
            to_state=NoticeState.POSTED,
            at=now,
            actor=user,
            posted_on=posted_on,
        )
        _audit_batch(batch, user, "posted")
    batch.refresh_from_db()
    return batch


def _audit_batch(batch: PrintBatch, user: User | None, detail: str) -> None:
    record_audit(
        user=user,
        action=AuditEvent.Action.CHANGE,
        object_type="print_batch",
        object_id=batch.pk,
        organisation_id=batch.campaign.breach_file.controller_id,
        detail=detail,
    )


def record_returned_letter(
    *, reference: str, user: User | None, organisations: models.QuerySet[Any], now: datetime | None = None
) -> Notice:
    """Record a letter La Poste brought back; the person then gets an email when one is known (once)."""
    now = now or timezone.now()
    normalised = normalise_reference(reference)
    if normalised is None or not normalised.split("-")[2].startswith("P"):
        raise CampaignRefused(_("This is not a valid letter reference: check the characters and the key."))
    notice = Notice.objects.filter(
        reference=normalised, channel=Channel.POST, breach_file__controller__in=organisations
    ).first()
    if notice is None:
        raise CampaignRefused(_("No letter with this reference among the batches you handle."))
    if notice.state == NoticeState.RETURNED:
        raise CampaignRefused(_("This letter is already recorded as returned."))
    moved = transition(
        notices=Notice.objects.filter(pk=notice.pk),
        from_states=[NoticeState.POSTED],
        to_state=NoticeState.RETURNED,
        at=now,
        actor=user,
        returned_at=now,
    )
    if not moved:
        raise CampaignRefused(_("This letter is not marked posted yet: mark its batch posted first."))
    record_audit(
        user=user,
        action=AuditEvent.Action.CHANGE,
        object_type="notice",
        object_id=notice.pk,
        organisation_id=notice.campaign.breach_file.controller_id,
        detail="returned",
    )
    fall_back_to_other_channel(notice_id=notice.pk, now=now)
    notice.refresh_from_db()
    return notice


def purge_posted_batches(*, now: datetime | None = None) -> int:
    """Delete the files of batches posted longer ago than the retention period; the ledger stays."""
    from notifications import storage

    now = now or timezone.now()
    limit = timezone.localdate(now) - timedelta(days=settings.NOTICE_RETENTION_DAYS)
    purged = 0
    for batch in PrintBatch.objects.filter(state=PrintBatch.State.POSTED, posted_on__lt=limit):
        if batch.file_path:
            storage.private_path(batch.file_path).unlink(missing_ok=True)
        PrintBatch.objects.filter(pk=batch.pk, state=PrintBatch.State.POSTED).update(
            state=PrintBatch.State.PURGED, purged_at=now, file_path=""
        )
        purged += 1
    if purged:
        logger.info("deleted the files of %s posted print batches", purged)
    return purged


# --- The sweep -----------------------------------------------------------------------------------------------------


@dataclass
class SweepReport:
    unknown: int = 0
    released: int = 0
    stale_batches: list[int] = field(default_factory=list)
    campaigns: list[int] = field(default_factory=list)


def sweep(*, now: datetime | None = None) -> SweepReport:
    """Find what stopped workers left: emails cut mid-send become unknown, stalled batches and due work are re-queued."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.NOTICE_CLAIM_TIMEOUT_SECONDS)
    report = SweepReport()
    # A worker that stopped while its rows were "sending" may have delivered some: a person decides (STYLE.md).
    report.unknown = len(
        transition(
            notices=Notice.objects.filter(channel=Channel.EMAIL, state=NoticeState.SENDING, claimed_at__lt=stale),
            from_states=[NoticeState.SENDING],
            to_state=NoticeState.UNKNOWN,
            at=now,
            error="worker stopped during sending",
            last_error="worker stopped during sending",
            claim_token=None,
        )
    )
    report.stale_batches = list(
        PrintBatch.objects.filter(state=PrintBatch.State.RENDERING)
        .filter(Q(claimed_at__lt=stale) | Q(claimed_at__isnull=True))
        .values_list("pk", flat=True)
    )
    due = Notice.objects.filter(state=NoticeState.PENDING).filter(
        Q(channel=Channel.POST, batch__isnull=True)
        | Q(channel=Channel.EMAIL, next_attempt_at__isnull=True)
        | Q(channel=Channel.EMAIL, next_attempt_at__lte=now)
    )
    report.campaigns = sorted(set(due.values_list("campaign_id", flat=True).distinct()))
    return report


# --- Progress and proof --------------------------------------------------------------------------------------------


PROGRESS_STATES: dict[str, list[str]] = {
    Channel.POST: [
        NoticeState.PENDING,
        NoticeState.RENDERING,
        NoticeState.READY,
        NoticeState.PRINTED,
        NoticeState.POSTED,
        NoticeState.RETURNED,
    ],
    Channel.EMAIL: [
        NoticeState.PENDING,
        NoticeState.SENDING,
        NoticeState.SENT,
        NoticeState.UNKNOWN,
        NoticeState.FAILED_PERMANENT,
        NoticeState.BOUNCED,
    ],
}
DONE_STATES: dict[str, set[str]] = {
    Channel.POST: {NoticeState.POSTED, NoticeState.RETURNED},
    Channel.EMAIL: {NoticeState.SENT, NoticeState.FAILED_PERMANENT, NoticeState.BOUNCED, NoticeState.UNKNOWN},
}


def campaign_progress(campaign: Campaign) -> dict[str, Any]:
    """Counts per channel and state, with the share done: what the DPO's page polls."""
    counts: dict[str, dict[str, int]] = {
        channel: dict.fromkeys(states, 0) for channel, states in PROGRESS_STATES.items()
    }
    for channel, state, count in (
        campaign.notices.order_by().values_list("channel", "state").annotate(count=models.Count("pk"))
    ):
        counts.setdefault(channel, {})[state] = count
    channels: dict[str, Any] = {}
    for channel, by_state in counts.items():
        total = sum(by_state.values())
        done = sum(count for state, count in by_state.items() if state in DONE_STATES.get(channel, set()))
        channels[channel] = {
            "total": total,
            "done": done,
            "percent": round(100 * done / total, 1) if total else 0.0,
            "states": [
                {"state": state, "label": str(NoticeState(state).label), "count": count}
                for state, count in by_state.items()
            ],
        }
    terminal = campaign.notices.filter(state__in=list(TERMINAL_STATES)).count()
    total = sum(channel["total"] for channel in channels.values())
    batches = Counter(campaign.batches.values_list("state", flat=True))
    return {
        "campaign": campaign.pk,
        "launched_at": campaign.launched_at.isoformat(),
        "channels": channels,
        "total": total,
        "terminal": terminal,
        "is_finished": total > 0 and terminal == total,
        "unreachable": campaign.unreachable.count(),
        "unknown": counts[Channel.EMAIL].get(NoticeState.UNKNOWN, 0),
        "batches": {state: batches.get(state, 0) for state in PrintBatch.State.values},
    }


LEDGER_HEADER = [
    "ledger_id",
    "reference",
    "data_subject_id",
    "patient_ref",
    "channel",
    "origin",
    "state",
    "attempts",
    "created_at",
    "ready_at",
    "sent_at",
    "printed_at",
    "posted_on",
    "returned_at",
    "bounced_at",
    "failed_at",
    "last_error",
    "batch",
]


def ledger_rows(breach_file: BreachFile) -> Iterator[list[object]]:
    """Every notice of a breach file with its dates: the per-person proof of information (streamed, chunked)."""
    notices = (
        Notice.objects.filter(breach_file=breach_file)
        .select_related("subject", "batch")
        .only(
            *[
                f"{name}"
                for name in (
                    "pk",
                    "reference",
                    "channel",
                    "origin",
                    "state",
                    "attempts",
                    "created_at",
                    "ready_at",
                    "sent_at",
                    "printed_at",
                    "posted_on",
                    "returned_at",
                    "bounced_at",
                    "failed_at",
                    "last_error",
                )
            ],
            "subject__personal_token",
            "batch__number",
        )
        .order_by("pk")
    )
    for notice in notices.iterator(chunk_size=2000):
        yield [
            notice.pk,
            notice.reference,
            notice.subject_id,
            notice.subject.personal.patient_ref,
            notice.channel,
            notice.origin,
            notice.state,
            notice.attempts,
            _iso(notice.created_at),
            _iso(notice.ready_at),
            _iso(notice.sent_at),
            _iso(notice.printed_at),
            notice.posted_on.isoformat() if notice.posted_on else "",
            _iso(notice.returned_at),
            _iso(notice.bounced_at),
            _iso(notice.failed_at),
            notice.last_error,
            notice.batch.number if notice.batch else "",
        ]


def _iso(moment: datetime | None) -> str:
    return timezone.localtime(moment).isoformat(timespec="seconds") if moment else ""
