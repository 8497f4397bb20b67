"""Models of what happened: organisations, incidents, breach files, data subjects, the audit trail."""

from __future__ import annotations

from breachdesk.models.audit import AuditEvent, AuditObject, BreachFileEvent
from breachdesk.models.imports import CrossControllerMatch, SubjectImport
from breachdesk.models.incidents import BreachFile, BreachFileQuerySet, Incident, LateNotificationError
from breachdesk.models.obligations import Applicability, ObligationDecision, PhaseSubmission
from breachdesk.models.organisations import Organisation, OrganisationGroup, Role, User
from breachdesk.models.risk import Decision, DecisionKind, DecisionOutcome, RiskAssessment
from breachdesk.models.subjects import Channel, DataSubject, ExposureSummary, PersonalData

__all__ = [
    "Applicability",
    "AuditEvent",
    "AuditObject",
    "BreachFile",
    "BreachFileEvent",
    "BreachFileQuerySet",
    "Channel",
    "CrossControllerMatch",
    "DataSubject",
    "Decision",
    "DecisionKind",
    "DecisionOutcome",
    "ExposureSummary",
    "Incident",
    "LateNotificationError",
    "ObligationDecision",
    "Organisation",
    "OrganisationGroup",
    "PersonalData",
    "PhaseSubmission",
    "RiskAssessment",
    "Role",
    "SubjectImport",
    "User",
]
