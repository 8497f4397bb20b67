"""What a controller or its processor decided and did about each obligation of breachdesk.obligations.regimes.

Regime and phase codes are stored without database choices: a regime is data, adding one needs no migration.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from breachdesk.models.audit import AppendOnlyModel, AppendOnlyQuerySet


class Applicability(models.TextChoices):
    APPLIES = "applies", _("Applies")
    DOES_NOT_APPLY = "does_not_apply", _("Does not apply")
    NOT_DECIDED = "not_decided", _("Not decided")


class ObligationDecisionQuerySet(AppendOnlyQuerySet["ObligationDecision"]):
    def latest_first(self) -> ObligationDecisionQuerySet:
        return self.order_by("-decided_at", "-pk")


class ObligationDecision(AppendOnlyModel):
    """Whether a regime applies, decided by a named person with a reason; the latest decision wins."""

    incident = models.ForeignKey("breachdesk.Incident", on_delete=models.PROTECT, related_name="obligation_decisions")
    # Empty for the processor's regimes, decided once per incident.
    breach_file = models.ForeignKey(
        "breachdesk.BreachFile", null=True, blank=True, on_delete=models.CASCADE, related_name="obligation_decisions"
    )
    regime = models.CharField(_("regime"), max_length=40)
    applicability = models.CharField(_("applicability"), max_length=20, choices=Applicability.choices)
    reason = models.TextField(_("reason"))
    decided_at = models.DateTimeField(_("decided at"), db_index=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    detachable_fields = ("decided_by",)

    objects = ObligationDecisionQuerySet.as_manager()

    class Meta:
        verbose_name = _("obligation decision")
        verbose_name_plural = _("obligation decisions")
        ordering = ["-decided_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(reason=""), name="obligation_decision_has_reason"),
        ]

    def __str__(self) -> str:
        return f"obligation decision #{self.pk} {self.regime}={self.applicability}"


class PhaseSubmissionQuerySet(AppendOnlyQuerySet["PhaseSubmission"]):
    def latest_first(self) -> PhaseSubmissionQuerySet:
        return self.order_by("-recorded_at", "-pk")


class PhaseSubmission(AppendOnlyModel):
    """A phase of an obligation sent to its recipient: when, the recipient's reference, reasons when late."""

    incident = models.ForeignKey("breachdesk.Incident", on_delete=models.PROTECT, related_name="phase_submissions")
    # Empty for the processor's regimes owed once per incident.
    breach_file = models.ForeignKey(
        "breachdesk.BreachFile", null=True, blank=True, on_delete=models.CASCADE, related_name="phase_submissions"
    )
    regime = models.CharField(_("regime"), max_length=40)
    phase = models.CharField(_("phase"), max_length=40)
    submitted_at = models.DateTimeField(_("submitted at"))
    reference = models.CharField(_("recipient's reference"), max_length=120, blank=True)
    # The due time when submitted (empty: without undue delay) and whether the submission came after it.
    due_at = models.DateTimeField(null=True, blank=True)
    is_late = models.BooleanField(default=False)
    delay_reasons = models.TextField(_("reasons for the delay"), blank=True)
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    detachable_fields = ("recorded_by",)

    objects = PhaseSubmissionQuerySet.as_manager()

    class Meta:
        verbose_name = _("obligation submission")
        verbose_name_plural = _("obligation submissions")
        ordering = ["-recorded_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(is_late=False) | ~models.Q(delay_reasons=""),
                name="late_phase_submission_has_reasons",
            ),
        ]

    def __str__(self) -> str:
        return f"submission #{self.pk} {self.regime}/{self.phase}"
