"""Emails to professionals (processor notices, deadline reminders): one record with a state and its log.

The notice ledger (models.ledger) is the model: the database says what was sent, a claim by conditional update
decides who sends, and an email whose fate is unknown is never resent without a person (STYLE.md).
"""

from __future__ import annotations

from datetime import datetime

from django.db import models
from django.utils.translation import gettext_lazy as _


class EmailState(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENDING = "sending", _("Being sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed before sending")
    # The connection broke after the message may have left: never resent automatically, a person decides.
    UNKNOWN = "unknown", _("Fate unknown: check before resending")
    CANCELLED = "cancelled", _("Not sent: no longer needed")


def _failure_due(*, now: datetime, max_attempts: int) -> models.Q:
    """A failure before sending whose next attempt is due (one given up has none)."""
    return models.Q(state=EmailState.FAILED, attempts__lt=max_attempts, next_attempt_at__lte=now)


class OutboundEmailQuerySet(models.QuerySet["OutboundEmail"]):
    def stalled(self, *, claimed_before: datetime) -> OutboundEmailQuerySet:
        """Emails a worker claimed and never finished: it stopped mid-send."""
        return self.filter(state=EmailState.SENDING, claimed_at__lt=claimed_before)

    def claimable(self, *, now: datetime, max_attempts: int) -> OutboundEmailQuerySet:
        """Emails a worker may send now: pending ones, and failures whose next attempt is due."""
        return self.filter(models.Q(state=EmailState.PENDING) | _failure_due(now=now, max_attempts=max_attempts))

    def to_retry(self, *, now: datetime, created_before: datetime, max_attempts: int) -> OutboundEmailQuerySet:
        """Emails whose wake-up was lost, and failures whose next attempt is due."""
        return self.filter(
            models.Q(state=EmailState.PENDING, created_at__lt=created_before)
            | _failure_due(now=now, max_attempts=max_attempts)
        )

    def not_sent(self) -> OutboundEmailQuerySet:
        """What a person must look at: failures and emails of unknown fate."""
        return self.filter(state__in=[EmailState.FAILED, EmailState.UNKNOWN])


class OutboundEmail(models.Model):
    """One email to professionals, its state and its attempts; never personal data of data subjects."""

    class Kind(models.TextChoices):
        PROCESSOR_NOTICE = "processor_notice", _("Processor notice to a controller (Art. 33(2))")
        DEADLINE_REMINDER = "deadline_reminder", _("Deadline reminder")
        OBLIGATION_REMINDER = "obligation_reminder", _("Reminder of another obligation")

    kind = models.CharField(max_length=30, choices=Kind.choices)
    breach_file = models.ForeignKey("breachdesk.BreachFile", on_delete=models.CASCADE, related_name="outbound_emails")
    state = models.CharField(max_length=20, choices=EmailState.choices, default=EmailState.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    # When a failure before sending is tried again; none once given up (only a person asks again).
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # Professional contacts (the controller's DPO, compliance officers), not data subjects.
    recipients = models.JSONField(default=list, blank=True)
    last_error = models.CharField(max_length=200, blank=True)

    objects = OutboundEmailQuerySet.as_manager()

    class Meta:
        verbose_name = _("email to professionals")
        verbose_name_plural = _("emails to professionals")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["state", "created_at"], name="outbound_email_state")]

    def __str__(self) -> str:
        return f"{self.kind} email #{self.pk} for breach file #{self.breach_file_id}"


class OutboundEmailEvent(models.Model):
    """One change of an outbound email's state (append-only), as the ledger's NoticeEvent."""

    email = models.ForeignKey(OutboundEmail, on_delete=models.CASCADE, related_name="events")
    from_state = models.CharField(max_length=20, choices=EmailState.choices)
    to_state = models.CharField(max_length=20, choices=EmailState.choices)
    at = models.DateTimeField()
    attempt = models.PositiveSmallIntegerField(default=0)
    error = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("email step")
        verbose_name_plural = _("email steps")
        ordering = ["email", "at", "pk"]

    def __str__(self) -> str:
        return f"outbound email #{self.email_id}: {self.from_state} -> {self.to_state}"
