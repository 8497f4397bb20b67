"""Risk assessments (ENISA severity) and the decisions a person records with them; both append-only evidence."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from breachdesk.models.audit import AppendOnlyModel, AppendOnlyQuerySet
from breachdesk.risk import (
    BAND_ORDER,
    AvailabilityLoss,
    Band,
    Circumstances,
    ConfidentialityLoss,
    Identification,
    IntegrityLoss,
    SeverityScore,
    processing_context,
)
from breachdesk.taxonomy import EXPOSURES


def validate_exposure_codes(value: object) -> None:
    if not isinstance(value, list) or not value or any(code not in EXPOSURES for code in value):
        raise ValidationError(_("Choose at least one known exposed data item."), code="invalid_exposures")


def validate_bands(value: object) -> None:
    if not isinstance(value, list) or any(band not in BAND_ORDER for band in value):
        raise ValidationError(_("Unknown severity level."), code="invalid_band")


class RiskAssessmentQuerySet(AppendOnlyQuerySet["RiskAssessment"]):
    def latest_first(self) -> RiskAssessmentQuerySet:
        return self.order_by("-assessed_at", "-pk")


class RiskAssessment(AppendOnlyModel):
    """One ENISA severity assessment of a breach file; a new assessment supersedes, never overwrites."""

    breach_file = models.ForeignKey("breachdesk.BreachFile", on_delete=models.CASCADE, related_name="risk_assessments")
    assessed_at = models.DateTimeField(_("assessed at"), db_index=True)
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    detachable_fields = ("assessed_by",)
    # The exposure codes assessed for the breach file as a whole (the union over its data subjects by default).
    exposures = models.JSONField(_("exposed data"), default=list, validators=[validate_exposure_codes])
    identification = models.CharField(_("ease of identification (EI)"), max_length=20, choices=Identification.choices)
    confidentiality = models.CharField(_("loss of confidentiality"), max_length=30, choices=ConfidentialityLoss.choices)
    integrity = models.CharField(_("loss of integrity"), max_length=30, choices=IntegrityLoss.choices)
    availability = models.CharField(_("loss of availability"), max_length=30, choices=AvailabilityLoss.choices)
    is_malicious = models.BooleanField(_("malicious intent"), default=False)
    notes = models.TextField(_("why these levels"), blank=True)

    # The computation, stored as evidence of what the decision relied on.
    dpc = models.PositiveSmallIntegerField(_("data processing context (DPC)"))
    score = models.DecimalField(_("severity score"), max_digits=4, decimal_places=2)
    band = models.CharField(_("severity band"), max_length=20, choices=Band.choices)
    has_health_data = models.BooleanField(_("health data exposed"), default=False)
    default_level = models.CharField(_("default risk level"), max_length=20, choices=Band.choices)
    level = models.CharField(_("retained risk level"), max_length=20, choices=Band.choices)
    level_rationale = models.TextField(_("why the retained level differs from the default"), blank=True)

    objects = RiskAssessmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("risk assessment")
        verbose_name_plural = _("risk assessments")
        ordering = ["-assessed_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(level=models.F("default_level")) | ~models.Q(level_rationale=""),
                name="risk_level_override_has_rationale",
            ),
        ]

    def __str__(self) -> str:
        return f"risk assessment #{self.pk} ({self.band})"

    @property
    def circumstances(self) -> Circumstances:
        return Circumstances(
            confidentiality=self.confidentiality,
            integrity=self.integrity,
            availability=self.availability,
            is_malicious=self.is_malicious,
        )

    @property
    def severity(self) -> SeverityScore:
        return SeverityScore(
            context=processing_context(self.exposures),
            identification=self.identification,
            circumstances=self.circumstances,
        )

    @property
    def is_level_overridden(self) -> bool:
        return self.level != self.default_level

    def clean(self) -> None:
        if self.level and self.default_level and self.level != self.default_level and not self.level_rationale.strip():
            raise ValidationError(
                {"level_rationale": _("Overriding the default risk level requires a rationale.")},
                code="override_rationale_required",
            )


class DecisionKind(models.TextChoices):
    NOTIFY_AUTHORITY = "notify_authority", _("Notify the supervisory authority (Art. 33)")
    INFORM_SUBJECTS = "inform_subjects", _("Inform the data subjects (Art. 34)")


class DecisionOutcome(models.TextChoices):
    NOTIFY = "notify", _("Notify the supervisory authority")
    DO_NOT_NOTIFY = "do_not_notify", _("Do not notify: unlikely to result in a risk (Art. 33(1))")
    INFORM = "inform", _("Inform the data subjects at the chosen risk levels (Art. 34(1))")
    NOT_REQUIRED = "not_required", _("Do not inform: not likely to result in a high risk (Art. 34(1))")
    EXEMPT_UNINTELLIGIBLE = (
        "exempt_unintelligible",
        _("Do not inform: data unintelligible, e.g. encrypted (Art. 34(3)(a))"),
    )
    EXEMPT_MITIGATED = "exempt_mitigated", _("Do not inform: later measures removed the high risk (Art. 34(3)(b))")
    EXEMPT_DISPROPORTIONATE = (
        "exempt_disproportionate",
        _("Do not inform individually: disproportionate effort, public communication instead (Art. 34(3)(c))"),
    )


OUTCOMES_BY_KIND: dict[str, list[str]] = {
    DecisionKind.NOTIFY_AUTHORITY: [DecisionOutcome.NOTIFY, DecisionOutcome.DO_NOT_NOTIFY],
    DecisionKind.INFORM_SUBJECTS: [
        DecisionOutcome.INFORM,
        DecisionOutcome.NOT_REQUIRED,
        DecisionOutcome.EXEMPT_UNINTELLIGIBLE,
        DecisionOutcome.EXEMPT_MITIGATED,
        DecisionOutcome.EXEMPT_DISPROPORTIONATE,
    ],
}


class DecisionQuerySet(AppendOnlyQuerySet["Decision"]):
    def latest_first(self) -> DecisionQuerySet:
        return self.order_by("-decided_at", "-pk")


class Decision(AppendOnlyModel):
    """A decision a named person took at a time, with a written rationale and the score as evidence."""

    breach_file = models.ForeignKey("breachdesk.BreachFile", on_delete=models.CASCADE, related_name="decisions")
    kind = models.CharField(_("decision"), max_length=30, choices=DecisionKind.choices)
    outcome = models.CharField(_("outcome"), max_length=30, choices=DecisionOutcome.choices)
    # Art. 34: the risk levels whose data subjects are informed (for the "inform" outcome).
    levels = models.JSONField(_("risk levels informed"), default=list, blank=True, validators=[validate_bands])
    rationale = models.TextField(_("rationale"))
    # What BreachDesk proposed from the assessment; departing from it needs its own rationale.
    default_outcome = models.CharField(_("proposed outcome"), max_length=30, choices=DecisionOutcome.choices)
    default_levels = models.JSONField(_("proposed risk levels"), default=list, blank=True)
    override_rationale = models.TextField(_("why depart from the proposed decision"), blank=True)
    # Art. 34(3)(c): the public communication that replaces individual messages.
    public_communication = models.TextField(_("public communication"), blank=True)
    public_communication_at = models.DateTimeField(_("public communication made at"), null=True, blank=True)

    assessment = models.ForeignKey(RiskAssessment, on_delete=models.PROTECT, related_name="decisions")
    score = models.DecimalField(_("severity score"), max_digits=4, decimal_places=2)
    level = models.CharField(_("retained risk level"), max_length=20, choices=Band.choices)
    # Data subjects per risk level when the decision was taken, as evidence.
    subjects_by_level = models.JSONField(default=dict, blank=True)

    decided_at = models.DateTimeField(_("decided at"), db_index=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    detachable_fields = ("decided_by",)

    objects = DecisionQuerySet.as_manager()

    class Meta:
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        ordering = ["-decided_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(rationale=""), name="decision_has_rationale"),
            models.CheckConstraint(
                condition=(
                    models.Q(kind=DecisionKind.NOTIFY_AUTHORITY, outcome__in=OUTCOMES_BY_KIND["notify_authority"])
                    | models.Q(kind=DecisionKind.INFORM_SUBJECTS, outcome__in=OUTCOMES_BY_KIND["inform_subjects"])
                ),
                name="decision_outcome_matches_kind",
            ),
            models.CheckConstraint(
                condition=~models.Q(outcome=DecisionOutcome.EXEMPT_DISPROPORTIONATE)
                | (~models.Q(public_communication="") & models.Q(public_communication_at__isnull=False)),
                name="decision_public_communication_recorded",
            ),
        ]

    def __str__(self) -> str:
        return f"decision #{self.pk} {self.kind}={self.outcome}"

    @property
    def is_overriding_default(self) -> bool:
        if self.outcome != self.default_outcome:
            return True
        return self.outcome == DecisionOutcome.INFORM and sorted(self.levels) != sorted(self.default_levels)

    @property
    def exemption_letter(self) -> str:
        return {
            DecisionOutcome.EXEMPT_UNINTELLIGIBLE: "a",
            DecisionOutcome.EXEMPT_MITIGATED: "b",
            DecisionOutcome.EXEMPT_DISPROPORTIONATE: "c",
        }.get(DecisionOutcome(self.outcome), "")

    def clean(self) -> None:
        errors: dict[str, list[Any]] = {}
        if not self.rationale.strip():
            errors.setdefault("rationale", []).append(_("Every decision needs a written rationale."))
        if self.kind and self.outcome not in OUTCOMES_BY_KIND.get(self.kind, []):
            errors.setdefault("outcome", []).append(_("This outcome does not belong to this decision."))
        if self.outcome == DecisionOutcome.INFORM and not self.levels:
            errors.setdefault("levels", []).append(_("Choose the risk levels whose data subjects are informed."))
        if self.outcome == DecisionOutcome.EXEMPT_DISPROPORTIONATE:
            if not self.public_communication.strip():
                errors.setdefault("public_communication", []).append(
                    _("Art. 34(3)(c): record the public communication that replaces individual messages.")
                )
            if self.public_communication_at is None:
                errors.setdefault("public_communication_at", []).append(
                    _("Art. 34(3)(c): record when the public communication was made.")
                )
        if self.default_outcome and self.is_overriding_default and not self.override_rationale.strip():
            errors.setdefault("override_rationale", []).append(
                _("Departing from the proposed decision requires a rationale.")
            )
        if errors:
            raise ValidationError(errors)
