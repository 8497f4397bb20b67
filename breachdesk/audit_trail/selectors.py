"""Reads of the audit trail: what a reader may see of it, filtered, and its rows as the page and the CSV show them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import translation
from django.utils.translation import pgettext

from breachdesk.audit_trail.labels import object_type_codes, object_type_label
from breachdesk.formats import PARIS
from breachdesk.models import AuditEvent, Organisation, Role, User


def organisations_in_scope(reader: User) -> dict[int, Organisation]:
    """The organisations whose entries the reader may read, by id (a few dozen at most)."""
    return {organisation.pk: organisation for organisation in reader.visible_organisations().order_by("name")}


def _own_people(reader: User, organisation_ids: list[int]) -> QuerySet[User]:
    """The users acting for the reader's organisations (and, for a compliance officer, for their group)."""
    people = Q(organisation_id__in=organisation_ids)
    if reader.role == Role.COMPLIANCE_OFFICER and reader.group_id:
        people |= Q(group_id=reader.group_id)
    return User.objects.filter(people)


def people_in_scope(reader: User) -> QuerySet[User]:
    """The users whose names the reader may pick to filter by: their own people, their group's, the admins."""
    if reader.is_admin_role:
        return User.objects.all()
    organisations = reader.visible_organisations()
    groups = organisations.exclude(group_id=None).values("group_id")
    return User.objects.filter(
        Q(pk__in=_own_people(reader, list(organisations.values_list("pk", flat=True))).values("pk"))
        | Q(group_id__in=groups)
        | Q(role=Role.ADMIN)
        | Q(is_superuser=True)
    )


def visible_events(reader: User, organisation_ids: list[int]) -> QuerySet[AuditEvent]:
    """The entries about the reader's organisations and, when about none, those of the reader's own people.

    An admin reads everything; a compliance officer their group's; a DPO their own organisation's.
    """
    if reader.is_admin_role:
        return AuditEvent.objects.all()
    return AuditEvent.objects.filter(
        Q(organisation_id__in=organisation_ids)
        | Q(organisation_id__isnull=True, user__in=_own_people(reader, organisation_ids).values("pk"))
    )


def _paris_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=PARIS)


def filtered_events(
    events: QuerySet[AuditEvent],
    *,
    user: User | None = None,
    organisation: Organisation | None = None,
    object_type: str = "",
    action: str = "",
    on_or_after: date | None = None,
    on_or_before: date | None = None,
) -> QuerySet[AuditEvent]:
    """Narrow entries by who, which organisation, what, which action and which days (Paris time), newest first."""
    if user is not None:
        events = events.filter(user=user)
    if organisation is not None:
        events = events.filter(organisation_id=organisation.pk)
    if object_type:
        events = events.filter(object_type=object_type)
    if action:
        events = events.filter(action=action)
    if on_or_after is not None:
        events = events.filter(at__gte=_paris_midnight(on_or_after))
    if on_or_before is not None:
        events = events.filter(at__lt=_paris_midnight(on_or_before + timedelta(days=1)))
    return events.order_by("-at", "-pk")


@dataclass(frozen=True)
class AuditLine:
    """One entry as a person reads it: the action and the object in words, the organisation by name."""

    event: AuditEvent
    action: str
    object_type: str
    organisation: Organisation | None


def audit_lines(events: Any, organisations: dict[int, Organisation]) -> list[AuditLine]:
    """Name each entry's action, object type and organisation in the active language."""
    return [_line(event, organisations) for event in events]


def _line(event: AuditEvent, organisations: dict[int, Organisation]) -> AuditLine:
    return AuditLine(
        event=event,
        action=str(event.get_action_display()),
        object_type=object_type_label(event.object_type),
        organisation=organisations.get(event.organisation_id) if event.organisation_id is not None else None,
    )


def csv_header(language: str) -> list[str]:
    """The export's column names in the reader's language."""
    with translation.override(language):
        return [
            pgettext("audit csv", "date and time (Paris)"),
            pgettext("audit csv", "user"),
            pgettext("audit csv", "action"),
            pgettext("audit csv", "object"),
            pgettext("audit csv", "object id"),
            pgettext("audit csv", "organisation code"),
            pgettext("audit csv", "organisation"),
            pgettext("audit csv", "detail"),
        ]


def csv_rows(
    events: QuerySet[AuditEvent], organisations: dict[int, Organisation], *, language: str
) -> Iterator[list[object]]:
    """Yield the entries as CSV rows, read from the database in chunks, named in the reader's language."""
    with translation.override(language):
        actions = {value: str(label) for value, label in AuditEvent.Action.choices}
        object_types = {value: object_type_label(value) for value in object_type_codes()}
    fields = ("at", "username", "action", "object_type", "object_id", "organisation_id", "detail")
    for at, username, action, object_type, object_id, organisation_id, detail in events.values_list(*fields).iterator(
        chunk_size=2000
    ):
        organisation = organisations.get(organisation_id) if organisation_id is not None else None
        yield [
            at.astimezone(PARIS).strftime("%d/%m/%Y %H:%M:%S"),
            username,
            actions.get(action, action),
            object_types.get(object_type, object_type),
            object_id,
            organisation.code if organisation else (organisation_id or ""),
            organisation.name if organisation else "",
            detail,
        ]
