"""Who may see or change what: one lookup per object, every refusal audited, a 404 that reveals nothing."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest

from breachdesk.models import AuditEvent, AuditObject, BreachFile, Incident, Role, User
from breachdesk.services import record_audit


def current_user(request: HttpRequest) -> User:
    """Return the request's user (the views are behind login_required)."""
    user = request.user
    assert isinstance(user, User)
    return user


def audit(
    user: User,
    action: str,
    object_type: str,
    breach_file: BreachFile | None = None,
    *,
    object_id: object = None,
    organisation_id: int | None = None,
    detail: object = "",
) -> None:
    """Record an access to the audit trail, by ids only; the breach file gives the defaults."""
    record_audit(
        user=user,
        action=action,
        object_type=object_type,
        object_id=object_id if object_id is not None else (breach_file.pk if breach_file else ""),
        organisation_id=organisation_id
        if organisation_id is not None
        else (breach_file.controller_id if breach_file else None),
        detail=str(detail),
    )


def visible_breach_file(user: User, reference: str, code: str) -> BreachFile:
    """Return the breach file if the user may see it; 404 otherwise, so ids and codes reveal nothing."""
    breach_file = BreachFile.objects.visible_to(user).named(reference, code)
    if breach_file is None:
        audit(user, AuditEvent.Action.DENIED, AuditObject.BREACH_FILE, detail=f"{reference}/{code}")
        raise Http404
    return breach_file


def editable_breach_file(user: User, reference: str, code: str, *, object_type: str = "breach_file") -> BreachFile:
    """Return the breach file when the user may change it (its lab's DPO, an admin); 404 otherwise."""
    breach_file = visible_breach_file(user, reference, code)
    require_editor(user, object_type, breach_file)
    return breach_file


def require_editor(user: User, object_type: str, breach_file: BreachFile | None = None) -> None:
    """Let the users who change breach files (a lab's DPO, an admin) through; the others get an audited 404."""
    if not user.can_edit_breach_files():
        audit(user, AuditEvent.Action.DENIED, object_type, breach_file, detail="change refused")
        raise Http404


def require_recorder(user: User, object_type: str, breach_file: BreachFile | None = None) -> None:
    """Let the users who open and describe cases (a lab's DPO, a group's officer, an admin) through; else a 404."""
    if not user.can_record_breach_files():
        audit(user, AuditEvent.Action.DENIED, object_type, breach_file, detail="change refused")
        raise Http404


def describable_breach_file(user: User, reference: str, code: str) -> BreachFile:
    """Return the breach file when the user may describe it (edit its case); 404 otherwise."""
    breach_file = visible_breach_file(user, reference, code)
    require_recorder(user, AuditObject.BREACH_FILE, breach_file)
    return breach_file


def visible_incident(user: User, reference: str) -> Incident:
    """Return the incident if the user may see it; 404 otherwise, so references reveal nothing."""
    incident = Incident.objects.visible_to(user).select_related("processor").filter(reference=reference).first()
    if incident is None:
        audit(user, AuditEvent.Action.DENIED, AuditObject.INCIDENT, detail=reference)
        raise Http404
    return incident


def require_oversight(user: User) -> None:
    """Let DPOs (own lab), compliance officers (their group) and admins in; the others get a 404."""
    if not (user.is_active and (user.is_admin_role or user.role in (Role.COMPLIANCE_OFFICER, Role.DPO))):
        audit(user, AuditEvent.Action.DENIED, AuditObject.OVERSIGHT)
        raise Http404


def is_processor_side(user: User) -> bool:
    """Tell whether the user works the processor's side of an incident (a compliance officer, an admin)."""
    return user.is_active and (user.is_admin_role or user.role == Role.COMPLIANCE_OFFICER)


def require_processor_side(user: User) -> None:
    """Let compliance officers and admins (the processor's side of an incident) in; the others get a 404."""
    if not is_processor_side(user):
        audit(user, AuditEvent.Action.DENIED, AuditObject.PROCESSOR_SIDE)
        raise Http404


def require_audit_reader(user: User) -> None:
    """Let the readers of the audit trail in; the others get an audited 403 (the page's existence is no secret)."""
    if not user.can_read_audit_trail():
        audit(user, AuditEvent.Action.DENIED, AuditObject.AUDIT_TRAIL)
        raise PermissionDenied
