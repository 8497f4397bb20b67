"""Workflows of the risk assessment and the decisions: score, record, and say whom the decisions cover."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import reduce
from operator import or_

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from breachdesk import exposure_summary
from breachdesk.models import (
    AuditEvent,
    AuditObject,
    BreachFile,
    DataSubject,
    Decision,
    DecisionKind,
    DecisionOutcome,
    RiskAssessment,
    User,
)
from breachdesk.risk import (
    BAND_ORDER,
    DPC_VALUES,
    HIGH_BANDS,
    Band,
    Circumstances,
    ExposureGroup,
    Identification,
    class_severity,
    count_by_level,
    is_at_least,
    severity,
    severity_by_exposure_set,
)
from breachdesk.services import record_audit, record_event
from breachdesk.taxonomy import EXPOSURES, Status
from breachdesk.timeline import TimelineKind


def exposure_sets(breach_file: BreachFile) -> list[tuple[list[str], int]]:
    """Count the breach file's data subjects per set of exposure codes, from its encrypted summary."""
    return exposure_summary.exposure_sets(breach_file.pk)


def level_condition(assessment: RiskAssessment, levels: Iterable[str]) -> models.Q | None:
    """Select the data subjects at these levels by their derived classes (no exposure code is stored in clear)."""
    chosen = set(levels)
    classes = [
        models.Q(processing_context=dpc, has_health_data=has_health_data)
        for dpc in DPC_VALUES
        for has_health_data in (False, True)
        if class_severity(
            dpc=dpc,
            has_health_data=has_health_data,
            identification=assessment.identification,
            circumstances=assessment.circumstances,
        ).default_level
        in chosen
    ]
    return reduce(or_, classes) if classes else None


def default_exposures(breach_file: BreachFile) -> list[str]:
    """Propose the union of what was exposed for the breach file's data subjects, in taxonomy order."""
    present = {code for exposures, _count in exposure_sets(breach_file) for code in exposures}
    return [code for code in EXPOSURES if code in present]


def default_identification(exposures: Iterable[str]) -> Identification:
    """Propose maximum when name and NIR are both exposed, significant with a name or contact, limited otherwise."""
    codes = set(exposures)
    if {"identity", "nir"} <= codes:
        return Identification.MAXIMUM
    if codes & {"identity", "contact", "nir"}:
        return Identification.SIGNIFICANT
    return Identification.LIMITED


def subject_groups(*, breach_file: BreachFile, assessment: RiskAssessment) -> list[ExposureGroup]:
    """Score each distinct set of exposed data among the breach file's data subjects with the assessment's EI and CB."""
    return severity_by_exposure_set(
        exposure_sets(breach_file), identification=assessment.identification, circumstances=assessment.circumstances
    )


def latest_assessment(breach_file: BreachFile) -> RiskAssessment | None:
    return RiskAssessment.objects.filter(breach_file=breach_file).latest_first().first()


def current_decisions(breach_file: BreachFile) -> dict[str, Decision]:
    """Return the latest decision of each kind; earlier ones stay in the history."""
    decisions: dict[str, Decision] = {}
    for decision in (
        Decision.objects.filter(breach_file=breach_file).latest_first().select_related("decided_by", "assessment")
    ):
        decisions.setdefault(decision.kind, decision)
    return decisions


@transaction.atomic
def assess_risk(
    *,
    breach_file: BreachFile,
    user: User | None,
    exposures: list[str],
    identification: str,
    confidentiality: str,
    integrity: str,
    availability: str,
    is_malicious: bool,
    level: str | None = None,
    level_rationale: str = "",
    notes: str = "",
    at: datetime | None = None,
) -> RiskAssessment:
    """Record an ENISA assessment; a retained level other than the default needs a rationale."""
    ordered = [code for code in EXPOSURES if code in set(exposures)]
    if not ordered or set(exposures) - set(EXPOSURES):
        raise ValidationError({"exposures": _("Choose at least one known exposed data item.")})
    circumstances = Circumstances(
        confidentiality=confidentiality, integrity=integrity, availability=availability, is_malicious=is_malicious
    )
    computed = severity(exposures=ordered, identification=identification, circumstances=circumstances)
    assessment = RiskAssessment(
        breach_file=breach_file,
        assessed_at=at or timezone.now(),
        assessed_by=user,
        exposures=ordered,
        identification=identification,
        confidentiality=confidentiality,
        integrity=integrity,
        availability=availability,
        is_malicious=is_malicious,
        notes=notes.strip(),
        dpc=computed.dpc,
        score=computed.score,
        band=computed.band,
        has_health_data=computed.context.has_health_data,
        default_level=computed.default_level,
        level=level or computed.default_level,
        level_rationale=level_rationale.strip(),
    )
    assessment.full_clean()
    assessment.save()
    if breach_file.status == Status.DETECTED:
        breach_file.status = Status.ASSESSED
        breach_file.save(update_fields=["status", "updated_at"])
    record_event(
        breach_file=breach_file,
        kind=TimelineKind.RISK_ASSESSED,
        actor=user,
        at=assessment.assessed_at,
        params={"assessment": assessment.pk},
    )
    record_audit(
        user=user,
        action=AuditEvent.Action.CREATE,
        object_type=AuditObject.RISK_ASSESSMENT,
        object_id=assessment.pk,
        organisation_id=breach_file.controller_id,
    )
    return assessment


class ProposalBasis(models.TextChoices):
    """Why BreachDesk proposes what it proposes: shown beside the proposal, in the reader's language."""

    RISK = "risk", gettext_lazy("From the risk level of each data subject.")
    HEALTH_DATA = (
        "health_data",
        gettext_lazy(
            "Health data were exposed: every affected person is informed, whatever their own level "
            "(EDPB 9/2022 para 102; in 2021 the CNIL required each patient to be told). "
            "Informing fewer persons needs a written reason."
        ),
    )


@dataclass(frozen=True)
class Proposal:
    """What BreachDesk proposes for a decision, from the latest assessment."""

    outcome: str
    levels: list[str]
    subjects_by_level: dict[str, int]
    basis: str = ProposalBasis.RISK

    @property
    def explanation(self) -> str:
        return str(ProposalBasis(self.basis).label)


def left_out(*, proposal: Proposal, levels: list[str]) -> int:
    """Count the data subjects the proposal informs and these chosen levels do not."""
    return sum(proposal.subjects_by_level.get(band, 0) for band in proposal.levels if band not in levels)


def propose_decision(
    *, breach_file: BreachFile, kind: str, assessment: RiskAssessment, groups: list[ExposureGroup] | None = None
) -> Proposal:
    """Propose notifying unless the risk is low, and informing the data subjects at high and very high levels."""
    if groups is None:
        groups = subject_groups(breach_file=breach_file, assessment=assessment)
    by_level = count_by_level(groups)
    if kind == DecisionKind.NOTIFY_AUTHORITY:
        # Art. 33(1): notify unless the breach is unlikely to result in a risk.
        outcome = DecisionOutcome.DO_NOT_NOTIFY if assessment.level == Band.LOW else DecisionOutcome.NOTIFY
        return Proposal(outcome=outcome, levels=[], subjects_by_level=by_level)
    if groups and any(EXPOSURES[code].is_health for group in groups for code in group.exposures):
        # EDPB 9/2022 para 102, and the CNIL in 2021: when the data subjects' health data were exposed, every
        # affected patient is told, at every level present (the high levels always, as without health data).
        present = [band for band in BAND_ORDER if by_level[band] or band in HIGH_BANDS]
        return Proposal(
            outcome=DecisionOutcome.INFORM,
            levels=present,
            subjects_by_level=by_level,
            basis=ProposalBasis.HEALTH_DATA,
        )
    # Art. 34(1): inform when the risk is high, for the subjects at a high level (or the file when none imported).
    has_high = any(by_level[band] for band in HIGH_BANDS) if groups else is_at_least(assessment.level, Band.HIGH)
    if has_high:
        return Proposal(outcome=DecisionOutcome.INFORM, levels=list(HIGH_BANDS), subjects_by_level=by_level)
    return Proposal(outcome=DecisionOutcome.NOT_REQUIRED, levels=[], subjects_by_level=by_level)


@transaction.atomic
def record_decision(
    *,
    breach_file: BreachFile,
    user: User | None,
    kind: str,
    outcome: str,
    rationale: str,
    levels: list[str] | None = None,
    override_rationale: str = "",
    public_communication: str = "",
    public_communication_at: datetime | None = None,
    at: datetime | None = None,
) -> Decision:
    """Record a decision by a named person with its rationale, the latest score as evidence."""
    assessment = latest_assessment(breach_file)
    if assessment is None:
        raise ValidationError(_("Assess the risk first: a decision rests on the severity score."), code="no_assessment")
    proposal = propose_decision(breach_file=breach_file, kind=kind, assessment=assessment)
    chosen_levels = [band for band in Band.values if band in set(levels or [])] if outcome == "inform" else []
    decision = Decision(
        breach_file=breach_file,
        kind=kind,
        outcome=outcome,
        levels=chosen_levels,
        rationale=rationale.strip(),
        default_outcome=proposal.outcome,
        default_levels=proposal.levels,
        override_rationale=override_rationale.strip(),
        public_communication=public_communication.strip() if outcome == DecisionOutcome.EXEMPT_DISPROPORTIONATE else "",
        public_communication_at=public_communication_at if outcome == DecisionOutcome.EXEMPT_DISPROPORTIONATE else None,
        assessment=assessment,
        score=assessment.score,
        level=assessment.level,
        subjects_by_level=proposal.subjects_by_level,
        decided_at=at or timezone.now(),
        decided_by=user,
    )
    if (
        proposal.basis == ProposalBasis.HEALTH_DATA
        and (outcome != DecisionOutcome.INFORM or left_out(proposal=proposal, levels=chosen_levels))
        and not decision.override_rationale
    ):
        raise ValidationError(
            {
                "override_rationale": _(
                    "Health data were exposed: by default every affected person is informed (EDPB 9/2022 para 102). "
                    "Write why this decision informs fewer persons."
                )
            },
            code="health_scope_rationale_required",
        )
    decision.full_clean()
    decision.save()
    record_event(
        breach_file=breach_file,
        kind=TimelineKind.DECISION,
        actor=user,
        at=decision.decided_at,
        params={"outcome": decision.outcome, "score": f"{assessment.score.normalize():f}"},
    )
    record_audit(
        user=user,
        action=AuditEvent.Action.CREATE,
        object_type=AuditObject.DECISION,
        object_id=decision.pk,
        organisation_id=breach_file.controller_id,
        detail=f"{kind}={outcome}",
    )
    return decision


def count_covered(decision: Decision | None, groups: list[ExposureGroup]) -> int:
    """Count the data subjects an inform decision covers, from groups scored with the decision's assessment."""
    if decision is None or decision.outcome != DecisionOutcome.INFORM:
        return 0
    return sum(group.count for group in groups if group.level in decision.levels)


def subjects_to_inform(breach_file: BreachFile) -> models.QuerySet[DataSubject]:
    """Return the data subjects the latest inform decision covers (none unless it decided to inform)."""
    decision = current_decisions(breach_file).get(DecisionKind.INFORM_SUBJECTS)
    subjects = DataSubject.objects.filter(breach_file=breach_file)
    if decision is None or decision.outcome != DecisionOutcome.INFORM:
        return subjects.none()
    condition = level_condition(decision.assessment, decision.levels)
    return subjects.filter(condition) if condition is not None else subjects.none()
