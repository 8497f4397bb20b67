"""Art. 34: record the public communication that complements the letters, and when every covered person was told."""

from __future__ import annotations

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from breachdesk.assessment import current_decisions
from breachdesk.models import AuditEvent, BreachFile, DecisionKind, DecisionOutcome, User
from breachdesk.services import record_audit, record_event
from breachdesk.taxonomy import Status
from notifications.models import Campaign, NotificationAuditObject, PublicCommunication, UnreachableSubject
from notifications.selectors.information import persons_informed
from notifications.timeline import NotificationTimelineKind


@transaction.atomic
def record_public_communication(
    *,
    breach_file: BreachFile,
    user: User | None,
    text: str,
    medium: str,
    published_on: date,
    medium_detail: str = "",
    now: datetime | None = None,
) -> PublicCommunication:
    """Record the public notice made for the persons the letters and emails did not reach (Art. 34(3)(c))."""
    now = now or timezone.now()
    decision = current_decisions(breach_file).get(DecisionKind.INFORM_SUBJECTS)
    if decision is not None and decision.outcome == DecisionOutcome.EXEMPT_DISPROPORTIONATE:
        raise ValidationError(
            _(
                "This breach file is exempted from individual messages (Art. 34(3)(c)): its public communication "
                "is part of that decision."
            ),
            code="already_exempted",
        )
    campaign = Campaign.objects.filter(breach_file=breach_file).first()
    if campaign is None:
        raise ValidationError(
            _(
                "A public communication complements the letters and emails for the persons they could not reach: "
                "launch the information of the data subjects first. To replace individual messages for the whole "
                "breach file, record the Art. 34(3)(c) exemption as the decision."
            ),
            code="no_campaign",
        )
    errors: dict[str, str] = {}
    if not text.strip():
        errors["text"] = _("Give the text of the communication as it was published.")
    if medium not in PublicCommunication.Medium.values:
        errors["medium"] = _("Choose where the communication was published.")
    if published_on > timezone.localdate(now):
        errors["published_on"] = _("The publication date cannot be in the future.")
    elif published_on < timezone.localdate(campaign.launched_at):
        errors["published_on"] = _("The publication date cannot precede the launch of the information.")
    if errors:
        raise ValidationError(errors)
    communication = PublicCommunication.objects.create(
        breach_file=breach_file,
        text=text.strip(),
        medium=medium,
        medium_detail=medium_detail.strip(),
        published_on=published_on,
        unreachable_count=UnreachableSubject.objects.filter(campaign=campaign).count(),
        recorded_at=now,
        recorded_by=user,
    )
    record_event(
        breach_file=breach_file,
        kind=NotificationTimelineKind.PUBLIC_COMMUNICATION,
        actor=user,
        at=now,
        params={
            "medium": medium,
            "published_on": published_on.isoformat(),
            "unreachable": communication.unreachable_count,
        },
    )
    record_audit(
        user=user,
        action=AuditEvent.Action.CREATE,
        object_type=NotificationAuditObject.PUBLIC_COMMUNICATION,
        object_id=communication.pk,
        organisation_id=breach_file.controller_id,
    )
    record_subjects_informed(breach_file=breach_file, user=user, now=now)
    return communication


@transaction.atomic
def record_subjects_informed(*, breach_file: BreachFile, user: User | None, now: datetime | None = None) -> bool:
    """Move the breach file to "data subjects informed" once the ledger says every covered person was told."""
    now = now or timezone.now()
    breach_file = BreachFile.objects.select_for_update().get(pk=breach_file.pk)
    if not breach_file.can_move_to(Status.SUBJECTS_INFORMED):
        return False
    # Statuses only move forward: a file still awaiting its CNIL notification keeps its place on the deadline list.
    notify = current_decisions(breach_file).get(DecisionKind.NOTIFY_AUTHORITY)
    if breach_file.authority_notified_at is None and not (
        notify is not None and notify.outcome == DecisionOutcome.DO_NOT_NOTIFY
    ):
        return False
    informed = persons_informed(breach_file)
    if not informed.is_everyone_informed:
        return False
    breach_file.status = Status.SUBJECTS_INFORMED
    breach_file.save(update_fields=["status", "updated_at"])
    record_event(
        breach_file=breach_file,
        kind=NotificationTimelineKind.SUBJECTS_INFORMED,
        actor=user,
        at=now,
        params={
            "covered": informed.covered,
            "told": informed.told,
            "public": len(informed.public_communications),
        },
    )
    record_audit(
        user=user,
        action=AuditEvent.Action.CHANGE,
        object_type=NotificationAuditObject.CAMPAIGN,
        object_id=informed.campaign.pk if informed.campaign else "",
        organisation_id=breach_file.controller_id,
        detail="subjects informed",
    )
    return True


def record_subjects_informed_of_campaign(*, campaign_id: int, now: datetime | None = None) -> bool:
    """The same check from a ledger step that only knows the campaign (a batch posted, the periodic sweep)."""
    breach_file = BreachFile.objects.filter(campaign__pk=campaign_id).first()
    if breach_file is None:
        return False
    return record_subjects_informed(breach_file=breach_file, user=None, now=now)


def record_informed_breach_files(*, now: datetime | None = None) -> int:
    """The periodic sweep's pass: move every breach file whose ledger now says so; return how many moved."""
    campaign_ids = list(
        Campaign.objects.filter(
            populated_at__isnull=False, breach_file__status__in=[Status.NOTIFIED, Status.COMPLEMENTED]
        ).values_list("pk", flat=True)
    )
    return sum(record_subjects_informed_of_campaign(campaign_id=campaign_id, now=now) for campaign_id in campaign_ids)
