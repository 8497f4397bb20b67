"""Workflows of the obligations: deciding whether a regime applies, recording that a phase was submitted."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from breachdesk.models import (
    Applicability,
    AuditEvent,
    AuditObject,
    BreachFile,
    Incident,
    ObligationDecision,
    PhaseSubmission,
    User,
)
from breachdesk.obligations import hooks, selectors
from breachdesk.obligations.regimes import Regime, regime_named
from breachdesk.services import record_audit, record_event
from breachdesk.timeline import TimelineKind


class ObligationRefused(ValidationError):
    """Raised when a decision or a submission cannot be recorded as asked."""


class LatePhaseError(ObligationRefused):
    """Raised when a phase submitted after its due time has no reasons for the delay."""


def _regime(code: str) -> Regime:
    try:
        return regime_named(code)
    except KeyError as error:
        raise ObligationRefused(_("Unknown obligation: %(code)s.") % {"code": code}, code="unknown_regime") from error


def _scope(regime: Regime, *, incident: Incident, breach_file: BreachFile | None) -> BreachFile | None:
    """Return the breach file a row belongs to, refusing a controller's regime without one."""
    if regime.is_decided_per_incident:
        return None
    if breach_file is None or breach_file.incident_id != incident.pk:
        raise ObligationRefused(
            _("This obligation is owed by each controller: name its breach file."), code="breach_file_required"
        )
    return breach_file


@transaction.atomic
def decide_obligation(
    *,
    incident: Incident,
    breach_file: BreachFile | None,
    regime: str,
    applicability: str,
    reason: str,
    user: User | None,
    at: datetime | None = None,
) -> ObligationDecision:
    """Record whether an obligation applies, with the reason; the latest decision wins."""
    definition = _regime(regime)
    if applicability not in Applicability.values:
        raise ObligationRefused(_("Say whether the obligation applies."), code="applicability_required")
    if not reason.strip():
        raise ObligationRefused(_("Give the reason for this decision."), code="reason_required")
    scope = _scope(definition, incident=incident, breach_file=breach_file)
    decision = ObligationDecision.objects.create(
        incident=incident,
        breach_file=scope,
        regime=definition.code,
        applicability=applicability,
        reason=reason.strip(),
        decided_at=at or timezone.now(),
        decided_by=user if user is not None and user.is_authenticated else None,
    )
    if scope is not None:
        record_event(
            breach_file=scope,
            kind=TimelineKind.OBLIGATION_DECIDED,
            at=decision.decided_at,
            actor=decision.decided_by,
            params={"regime": definition.code, "applicability": applicability, "decision": decision.pk},
        )
    record_audit(
        user=user,
        action=AuditEvent.Action.CREATE,
        object_type=AuditObject.OBLIGATION_DECISION,
        object_id=decision.pk,
        organisation_id=scope.controller_id if scope is not None else incident.processor_id,
        detail=f"{definition.code}={applicability}",
    )
    return decision


@transaction.atomic
def record_phase_submission(
    *,
    incident: Incident,
    breach_file: BreachFile | None,
    regime: str,
    phase: str,
    submitted_at: datetime,
    reference: str,
    user: User | None,
    delay_reasons: str = "",
    now: datetime | None = None,
) -> PhaseSubmission:
    """Record that a phase went to its recipient; refused when late without reasons, or when it does not apply."""
    definition = _regime(regime)
    try:
        phase_definition = definition.phase(phase)
    except KeyError as error:
        raise ObligationRefused(_("Unknown phase: %(code)s.") % {"code": phase}, code="unknown_phase") from error
    if hooks.source_for(definition.code, phase_definition.code) is not None:
        raise ObligationRefused(
            _("This phase is recorded where it is done (e.g. the CNIL filing page)."), code="recorded_elsewhere"
        )
    moment = now or timezone.now()
    if submitted_at > moment:
        raise ObligationRefused(_("A submission cannot be in the future."), code="future_submission")
    if definition.is_per_controller and breach_file is None:
        raise ObligationRefused(_("Name the breach file of this obligation."), code="breach_file_required")
    row_scope = breach_file if definition.is_per_controller else None
    if breach_file is not None:
        BreachFile.objects.select_for_update().filter(pk=breach_file.pk).first()
    else:
        Incident.objects.select_for_update().filter(pk=incident.pk).first()
    rows = (
        selectors.obligations_of_breach_file(breach_file=breach_file, now=moment)
        if breach_file is not None and row_scope is not None and not definition.is_decided_per_incident
        else selectors.obligations_of_processor(incident=incident, now=moment)
    )
    row = next(
        (
            candidate
            for candidate in rows
            if candidate.regime.code == definition.code
            and candidate.phase.code == phase_definition.code
            and (row_scope is None or candidate.breach_file == row_scope)
        ),
        None,
    )
    if row is None or row.applicability != Applicability.APPLIES:
        raise ObligationRefused(_("Decide first that this obligation applies, with the reason."), code="not_applicable")
    if row.start_at is None:
        raise ObligationRefused(
            _("This phase has not started yet: record the earlier phase first."), code="not_started"
        )
    is_late = row.due_at is not None and submitted_at > row.due_at
    if is_late and not delay_reasons.strip():
        raise LatePhaseError(
            _("This phase is submitted after its due time: record the reasons for the delay."),
            code="delay_reasons_required",
        )
    submission = PhaseSubmission.objects.create(
        incident=incident,
        breach_file=row_scope,
        regime=definition.code,
        phase=phase_definition.code,
        submitted_at=submitted_at,
        reference=reference.strip(),
        due_at=row.due_at,
        is_late=is_late,
        delay_reasons=delay_reasons.strip() if is_late else "",
        recorded_at=moment,
        recorded_by=user if user is not None and user.is_authenticated else None,
    )
    if row_scope is not None:
        record_event(
            breach_file=row_scope,
            kind=TimelineKind.OBLIGATION_SUBMITTED,
            at=submitted_at,
            actor=submission.recorded_by,
            params={"regime": definition.code, "phase": phase_definition.code, "late": is_late},
        )
    record_audit(
        user=user,
        action=AuditEvent.Action.CREATE,
        object_type=AuditObject.OBLIGATION_SUBMISSION,
        object_id=submission.pk,
        organisation_id=row_scope.controller_id if row_scope is not None else incident.processor_id,
        detail=f"{definition.code}/{phase_definition.code}",
    )
    return submission
