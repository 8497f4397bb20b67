"""Reads: each obligation phase of a breach file or of an incident's processor, with its due time and state."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from breachdesk.models import (
    Applicability,
    BreachFile,
    Decision,
    DecisionKind,
    DecisionOutcome,
    Incident,
    ObligationDecision,
    PhaseSubmission,
)
from breachdesk.obligations import hooks
from breachdesk.obligations.deadlines import due_at as compute_due_at
from breachdesk.obligations.regimes import (
    Debtor,
    DefaultApplicability,
    Phase,
    Regime,
    StartEvent,
    regimes_owed_by,
)


class PhaseState(models.TextChoices):
    NOT_APPLICABLE = "not_applicable", _("Not applicable")
    NOT_DECIDED = "not_decided", _("Not decided")
    WAITING = "waiting", _("Waiting for its start")
    DUE = "due", _("Due")
    DONE = "done", _("Done")
    LATE = "late", _("Late")


@dataclass(frozen=True)
class ObligationPhase:
    """One phase of one obligation, for one breach file (or once for the processor's own reports)."""

    regime: Regime
    phase: Phase
    incident: Incident
    breach_file: BreachFile | None
    applicability: str
    decision: ObligationDecision | None
    start_at: datetime | None
    due_at: datetime | None
    state: str
    submitted_at: datetime | None = None
    reference: str = ""
    is_late: bool = False
    delay_reasons: str = ""
    is_recorded_elsewhere: bool = False

    @property
    def applies(self) -> bool | None:
        return {Applicability.APPLIES: True, Applicability.DOES_NOT_APPLY: False}.get(Applicability(self.applicability))

    @property
    def is_first_phase(self) -> bool:
        """The row that carries the regime's decision form on the page."""
        return self.phase.code == self.regime.phases[0].code

    @property
    def is_default(self) -> bool:
        return self.decision is None

    @property
    def is_without_undue_delay(self) -> bool:
        return self.due_at is None and self.start_at is not None and self.phase.offset.is_without_undue_delay

    @property
    def state_label(self) -> str:
        return str(PhaseState(self.state).label)

    @property
    def applicability_label(self) -> str:
        return str(Applicability(self.applicability).label)

    @property
    def report_url(self) -> str | None:
        """Where the copy-ready report of this phase is, when an app provides one."""
        if self.breach_file is None:
            return None
        from breachdesk.obligations.hooks import report_link

        return report_link(self.breach_file, self.regime.code, self.phase.code)

    @property
    def controller_code(self) -> str:
        return self.breach_file.controller.code if self.breach_file is not None else ""

    def sort_key(self) -> tuple[Any, ...]:
        """In the order they fall due: dated phases first, then without undue delay, the not applicable last."""
        inactive = self.state == PhaseState.NOT_APPLICABLE
        moment = self.due_at or self.start_at
        return (inactive, self.due_at is None, moment or datetime.max.replace(tzinfo=UTC), self.regime.order)

    def as_json(self) -> dict[str, Any]:
        def iso(moment: datetime | None) -> str | None:
            return moment.astimezone(UTC).isoformat().replace("+00:00", "Z") if moment else None

        return {
            "regime": self.regime.code,
            "phase": self.phase.code,
            "debtor": self.regime.debtor,
            "organisation": self.controller_code or None,
            "applies": self.applies,
            "applicability": self.applicability,
            "decided": not self.is_default,
            "start_at": iso(self.start_at),
            "due_at": iso(self.due_at),
            "state": self.state,
            "submitted_at": iso(self.submitted_at),
            "reference": self.reference or None,
            "is_late": self.is_late,
            "delay_reasons": self.delay_reasons or None,
        }


@dataclass
class _Loaded:
    """What the phases of some breach files read, loaded in a few queries instead of a few per phase.

    Latest first wins: rows are read oldest first and each later one replaces the earlier.
    """

    # Keyed by incident too: the processor's rows have no breach file, one incident's must not answer another's.
    decisions: dict[tuple[int, int | None, str], ObligationDecision] = field(default_factory=dict)
    submissions: dict[tuple[int, int | None, str, str], PhaseSubmission] = field(default_factory=dict)
    core: dict[tuple[int, str], Decision] = field(default_factory=dict)
    # What another app recorded (the CNIL filing, the campaign...), asked once per breach file and phase.
    recorded: dict[tuple[int, str, str], hooks.Recorded | None] = field(default_factory=dict)


def _load(*, incident_ids: set[int], breach_file_ids: set[int]) -> _Loaded:
    loaded = _Loaded()
    for decision in ObligationDecision.objects.filter(incident_id__in=incident_ids).order_by("decided_at", "pk"):
        loaded.decisions[(decision.incident_id, decision.breach_file_id, decision.regime)] = decision
    for submission in PhaseSubmission.objects.filter(incident_id__in=incident_ids).order_by("recorded_at", "pk"):
        loaded.submissions[(submission.incident_id, submission.breach_file_id, submission.regime, submission.phase)] = (
            submission
        )
    for core in Decision.objects.filter(breach_file_id__in=breach_file_ids).order_by("decided_at", "pk"):
        loaded.core[(core.breach_file_id, core.kind)] = core
    return loaded


def _latest_decision(
    *, loaded: _Loaded, incident: Incident, breach_file: BreachFile | None, regime: Regime
) -> ObligationDecision | None:
    scope = None if regime.is_decided_per_incident or breach_file is None else breach_file.pk
    return loaded.decisions.get((incident.pk, scope, regime.code))


def _latest_core_decision(loaded: _Loaded, breach_file: BreachFile | None, kind: str) -> Decision | None:
    if breach_file is None:
        return None
    return loaded.core.get((breach_file.pk, kind))


def default_applicability(
    *, regime: Regime, incident: Incident, breach_file: BreachFile | None, loaded: _Loaded | None = None
) -> str:
    """What applies until a person decides (DOMAIN.md section 11)."""
    if loaded is None:
        loaded = _load(incident_ids={incident.pk}, breach_file_ids={breach_file.pk} if breach_file else set())
    default = DefaultApplicability(regime.default)
    if default == DefaultApplicability.APPLIES:
        return Applicability.APPLIES
    if default == DefaultApplicability.WITH_PROCESSOR:
        return Applicability.APPLIES if incident.processor_id else Applicability.DOES_NOT_APPLY
    if default == DefaultApplicability.FROM_POLICY:
        has_policy = breach_file is not None and breach_file.controller.insurer_notice_hours is not None
        return Applicability.APPLIES if has_policy else Applicability.NOT_DECIDED
    if default == DefaultApplicability.FROM_DECISION:
        if regime.code == "gdpr_art33":
            decision = _latest_core_decision(loaded, breach_file, DecisionKind.NOTIFY_AUTHORITY)
            # Health data: a risk is likely (EDPB 9/2022), so Art. 33 applies until a decision says otherwise.
            if decision is not None and decision.outcome == DecisionOutcome.DO_NOT_NOTIFY:
                return Applicability.DOES_NOT_APPLY
            return Applicability.APPLIES
        decision = _latest_core_decision(loaded, breach_file, DecisionKind.INFORM_SUBJECTS)
        if decision is None:
            return Applicability.NOT_DECIDED
        if decision.outcome in (DecisionOutcome.INFORM, DecisionOutcome.EXEMPT_DISPROPORTIONATE):
            return Applicability.APPLIES
        return Applicability.DOES_NOT_APPLY
    return Applicability.NOT_DECIDED


def _start_of(loaded: _Loaded, regime: Regime, incident: Incident, breach_file: BreachFile | None) -> datetime | None:
    event = StartEvent(regime.start_event)
    if event == StartEvent.PROCESSOR_AWARENESS:
        return incident.processor_became_aware_at
    if breach_file is None:
        return None
    if event == StartEvent.DISCOVERY:
        # Discovery precedes awareness: when its time is not known yet, awareness is the latest it can be.
        return breach_file.discovered_at or breach_file.became_aware_at
    if event == StartEvent.INFORM_DECISION:
        decision = _latest_core_decision(loaded, breach_file, DecisionKind.INFORM_SUBJECTS)
        if decision is None or decision.outcome not in (
            DecisionOutcome.INFORM,
            DecisionOutcome.EXEMPT_DISPROPORTIONATE,
        ):
            return None
        return decision.decided_at
    return breach_file.became_aware_at


def recorded_submission(
    *,
    regime: Regime,
    phase: Phase,
    incident: Incident,
    breach_file: BreachFile | None,
    loaded: _Loaded | None = None,
) -> hooks.Recorded | None:
    """Return the phase's submission: from the app where it is done, or as recorded on BreachDesk."""
    if loaded is None:
        loaded = _load(incident_ids={incident.pk}, breach_file_ids={breach_file.pk} if breach_file else set())
    source = hooks.source_for(regime.code, phase.code)
    if source is not None:
        if breach_file is None:
            return None
        key = (breach_file.pk, regime.code, phase.code)
        if key not in loaded.recorded:
            loaded.recorded[key] = source(breach_file)
        return loaded.recorded[key]
    scope = breach_file.pk if regime.is_per_controller and breach_file is not None else None
    submission = loaded.submissions.get((incident.pk, scope, regime.code, phase.code))
    if submission is None:
        return None
    return hooks.Recorded(
        submitted_at=submission.submitted_at,
        reference=submission.reference,
        is_late=submission.is_late,
        delay_reasons=submission.delay_reasons,
    )


def phase_due_at(
    *,
    regime: Regime,
    phase: Phase,
    incident: Incident,
    breach_file: BreachFile | None,
    loaded: _Loaded | None = None,
) -> tuple[datetime | None, datetime | None]:
    """Return the phase's start and due time (either None: waiting for the start, or without undue delay)."""
    if loaded is None:
        loaded = _load(incident_ids={incident.pk}, breach_file_ids={breach_file.pk} if breach_file else set())
    if phase.after_phase is None:
        start_at = _start_of(loaded, regime, incident, breach_file)
    else:
        previous = recorded_submission(
            regime=regime,
            phase=regime.phase(phase.after_phase),
            incident=incident,
            breach_file=breach_file,
            loaded=loaded,
        )
        start_at = previous.submitted_at if previous is not None else None
    if start_at is None:
        return None, None
    policy_hours = breach_file.controller.insurer_notice_hours if breach_file is not None else None
    return start_at, compute_due_at(start_at=start_at, offset=phase.offset, policy_hours=policy_hours)


def _phases_of(
    regime: Regime, incident: Incident, breach_file: BreachFile | None, now: datetime, loaded: _Loaded
) -> list[ObligationPhase]:
    decision = _latest_decision(loaded=loaded, incident=incident, breach_file=breach_file, regime=regime)
    applicability = (
        decision.applicability
        if decision is not None
        else default_applicability(regime=regime, incident=incident, breach_file=breach_file, loaded=loaded)
    )
    rows = []
    for phase in regime.phases:
        start_at, due = phase_due_at(
            regime=regime, phase=phase, incident=incident, breach_file=breach_file, loaded=loaded
        )
        submitted = recorded_submission(
            regime=regime, phase=phase, incident=incident, breach_file=breach_file, loaded=loaded
        )
        if applicability == Applicability.DOES_NOT_APPLY:
            state = PhaseState.NOT_APPLICABLE
        elif submitted is not None:
            state = PhaseState.DONE
        elif applicability == Applicability.NOT_DECIDED:
            state = PhaseState.NOT_DECIDED
        elif start_at is None:
            state = PhaseState.WAITING
        elif due is not None and now > due:
            state = PhaseState.LATE
        else:
            state = PhaseState.DUE
        rows.append(
            ObligationPhase(
                regime=regime,
                phase=phase,
                incident=incident,
                breach_file=breach_file,
                applicability=applicability,
                decision=decision,
                start_at=start_at,
                due_at=due,
                state=state,
                submitted_at=submitted.submitted_at if submitted else None,
                reference=submitted.reference if submitted else "",
                is_late=submitted.is_late if submitted else False,
                delay_reasons=submitted.delay_reasons if submitted else "",
                is_recorded_elsewhere=hooks.source_for(regime.code, phase.code) is not None,
            )
        )
    return rows


def obligations_of_breach_files(
    *, breach_files: list[BreachFile], now: datetime | None = None
) -> dict[int, list[ObligationPhase]]:
    """Every phase each controller owes, per breach file, read in a few queries (the grid, the register)."""
    moment = now or timezone.now()
    loaded = _load(
        incident_ids={breach_file.incident_id for breach_file in breach_files},
        breach_file_ids={breach_file.pk for breach_file in breach_files},
    )
    regimes = regimes_owed_by(Debtor.CONTROLLER)
    return {
        breach_file.pk: sorted(
            (
                row
                for regime in regimes
                for row in _phases_of(regime, breach_file.incident, breach_file, moment, loaded)
            ),
            key=ObligationPhase.sort_key,
        )
        for breach_file in breach_files
    }


def obligations_of_breach_file(*, breach_file: BreachFile, now: datetime | None = None) -> list[ObligationPhase]:
    """Every phase the controller owes for this breach file, in the order they fall due."""
    return obligations_of_breach_files(breach_files=[breach_file], now=now)[breach_file.pk]


def obligations_of_processor(*, incident: Incident, now: datetime | None = None) -> list[ObligationPhase]:
    """Every phase the incident's processor owes: to each controller (Art. 33(2)) and its own reports (CRA)."""
    moment = now or timezone.now()
    breach_files = list(incident.breach_files.select_related("controller", "incident").order_by("controller__code"))
    loaded = _load(incident_ids={incident.pk}, breach_file_ids={breach_file.pk for breach_file in breach_files})
    rows: list[ObligationPhase] = []
    for regime in regimes_owed_by(Debtor.PROCESSOR):
        if regime.is_per_controller:
            for breach_file in breach_files:
                rows.extend(_phases_of(regime, incident, breach_file, moment, loaded))
        else:
            rows.extend(_phases_of(regime, incident, None, moment, loaded))
    return sorted(rows, key=ObligationPhase.sort_key)


@dataclass(frozen=True)
class RegimeSummary:
    """One regime of one breach file in a word: what the compliance grid shows (due in, done, late, ...)."""

    regime: Regime
    state: str
    # The phase that decides the state: the late one, the next one due, or the last one done.
    phase: ObligationPhase | None

    @property
    def state_label(self) -> str:
        return str(PhaseState(self.state).label)


def _submitted_at(row: ObligationPhase) -> datetime:
    return row.submitted_at or datetime.min.replace(tzinfo=UTC)


def summarize_regime(*, regime: Regime, rows: list[ObligationPhase]) -> RegimeSummary:
    """Sum a regime's phases up: late before not decided before due before done, not applicable last.

    A follow-up (complementary notification, follow-ups, updates) is sent as needed: it never makes a regime due.
    """
    phases = [row for row in rows if row.regime.code == regime.code]
    for state in (PhaseState.LATE, PhaseState.NOT_DECIDED, PhaseState.DUE):
        matching = [
            row for row in phases if row.state == state and (state == PhaseState.LATE or not row.phase.is_follow_up)
        ]
        if matching:
            return RegimeSummary(regime=regime, state=state, phase=min(matching, key=ObligationPhase.sort_key))
    done = [row for row in phases if row.state == PhaseState.DONE]
    if done:
        return RegimeSummary(regime=regime, state=PhaseState.DONE, phase=max(done, key=_submitted_at))
    if phases and all(row.state == PhaseState.NOT_APPLICABLE for row in phases):
        return RegimeSummary(regime=regime, state=PhaseState.NOT_APPLICABLE, phase=None)
    return RegimeSummary(regime=regime, state=PhaseState.WAITING, phase=phases[0] if phases else None)


def controller_regimes() -> list[Regime]:
    return regimes_owed_by(Debtor.CONTROLLER)
