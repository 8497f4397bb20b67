"""Workflows across the core models: breach files, their timeline, the audit trail."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from breachdesk.models import (
    AuditEvent,
    AuditObject,
    BreachFile,
    BreachFileEvent,
    Incident,
    Organisation,
    User,
)
from breachdesk.taxonomy import Status
from breachdesk.timeline import TimelineKind

logger = logging.getLogger(__name__)


def record_audit(
    *,
    user: User | None,
    action: str,
    object_type: str,
    object_id: object = "",
    organisation_id: int | None = None,
    detail: str = "",
) -> AuditEvent:
    """Append one line to the audit trail (ids only, no personal data)."""
    return AuditEvent.objects.create(
        user=user if user is not None and user.is_authenticated else None,
        username=user.get_username() if user is not None and user.is_authenticated else "",
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        organisation_id=organisation_id,
        detail=detail[:200],
    )


def record_event(
    *,
    breach_file: BreachFile,
    kind: str,
    params: dict[str, Any] | None = None,
    actor: User | None = None,
    at: datetime | None = None,
) -> BreachFileEvent:
    """Add a step to the breach file's timeline: a code and its parameters (ids, counts, codes; no personal data)."""
    return BreachFileEvent.objects.create(
        breach_file=breach_file, kind=kind, params=params or {}, actor=actor, at=at or timezone.now()
    )


@transaction.atomic
def create_incident(*, incident: Incident, new_processor: Organisation | None, user: User | None) -> Incident:
    """Save a new incident, and first the processor it names when that processor is new."""
    if new_processor is not None:
        new_processor.kind = Organisation.Kind.PROCESSOR
        if user is not None and new_processor.group_id is None:
            new_processor.group_id = user.acting_group_id
        new_processor.full_clean()
        new_processor.save()
        record_audit(
            user=user,
            action=AuditEvent.Action.CREATE,
            object_type=AuditObject.ORGANISATION,
            object_id=new_processor.pk,
            organisation_id=new_processor.pk,
        )
        incident.processor = new_processor
    incident.full_clean()
    incident.save()
    record_audit(
        user=user,
        action=AuditEvent.Action.CREATE,
        object_type=AuditObject.INCIDENT,
        object_id=incident.pk,
        organisation_id=incident.processor_id,
    )
    return incident


@transaction.atomic
def create_breach_files(*, breach_files: list[BreachFile], user: User | None) -> list[BreachFile]:
    """Save the breach files of several controllers of one incident together: all of them or none."""
    return [
        create_breach_file(breach_file=breach_file, user=user, others=len(breach_files) - 1)
        for breach_file in breach_files
    ]


@transaction.atomic
def create_breach_file(*, breach_file: BreachFile, user: User | None, others: int = 0) -> BreachFile:
    """Save a new breach file and open its timeline with awareness, then the opening itself."""
    breach_file.full_clean()
    breach_file.save()
    record_event(
        breach_file=breach_file,
        kind=TimelineKind.AWARE,
        at=breach_file.became_aware_at,
        actor=user,
    )
    record_event(breach_file=breach_file, kind=TimelineKind.OPENED, actor=user, params={"others": others})
    if breach_file.processor_informed_at:
        record_event(
            breach_file=breach_file,
            kind=TimelineKind.PROCESSOR_INFORMED,
            at=breach_file.processor_informed_at,
            actor=user,
        )
    record_audit(
        user=user,
        action=AuditEvent.Action.CREATE,
        object_type=AuditObject.BREACH_FILE,
        object_id=breach_file.pk,
        organisation_id=breach_file.controller_id,
    )
    return breach_file


@transaction.atomic
def update_breach_file(*, breach_file: BreachFile, changed_fields: Iterable[str], user: User | None) -> BreachFile:
    """Save changes to a breach file and note which fields changed (names only) on its timeline."""
    fields = sorted(set(changed_fields))
    if not fields:
        return breach_file
    breach_file.full_clean()
    breach_file.save(update_fields=[*fields, "updated_at"])
    record_event(
        breach_file=breach_file,
        kind=TimelineKind.CHANGED,
        actor=user,
        params={"fields": fields},
    )
    record_audit(
        user=user,
        action=AuditEvent.Action.CHANGE,
        object_type=AuditObject.BREACH_FILE,
        object_id=breach_file.pk,
        organisation_id=breach_file.controller_id,
        detail=",".join(fields),
    )
    return breach_file


@transaction.atomic
def record_authority_notification(
    *, breach_file: BreachFile, notified_at: datetime, user: User | None, delay_reasons: str | None = None
) -> BreachFile:
    """Record that the supervisory authority was notified; refused when late without reasons (Art. 33(1))."""
    breach_file = BreachFile.objects.select_for_update().get(pk=breach_file.pk)
    breach_file.ensure_notification_allowed(at=notified_at, delay_reasons=delay_reasons)
    fields = ["authority_notified_at"]
    if delay_reasons is not None:
        breach_file.delay_reasons = delay_reasons
        fields.append("delay_reasons")
    breach_file.authority_notified_at = notified_at
    if breach_file.can_move_to(Status.NOTIFIED):
        breach_file.status = Status.NOTIFIED
        fields.append("status")
    breach_file.save(update_fields=[*fields, "updated_at"])
    late = breach_file.is_late_at(notified_at)
    record_event(
        breach_file=breach_file,
        kind=TimelineKind.AUTHORITY_NOTIFIED,
        at=notified_at,
        actor=user,
        params={"late": late},
    )
    record_audit(
        user=user,
        action=AuditEvent.Action.CHANGE,
        object_type=AuditObject.BREACH_FILE,
        object_id=breach_file.pk,
        organisation_id=breach_file.controller_id,
        detail="authority_notified",
    )
    return breach_file
