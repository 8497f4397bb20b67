"""CNIL filings, processor notices to controllers (Art. 33(2)) and deadline reminders."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from notifications.models.outbound import OutboundEmail


class FilingQuerySet(models.QuerySet["Filing"]):
    def submitted(self) -> FilingQuerySet:
        return self.filter(submitted_at__isnull=False)


class Filing(models.Model):
    """A versioned snapshot of a breach file mapped to the CNIL teleservice, with its PDF dossier."""

    class Kind(models.TextChoices):
        INITIAL = "initial", _("Initial notification")
        COMPLEMENTARY = "complementary", _("Complementary notification")

    class State(models.TextChoices):
        PENDING = "pending", _("Dossier being generated")
        READY = "ready", _("Dossier ready")
        FAILED = "failed", _("Dossier generation failed")

    breach_file = models.ForeignKey("breachdesk.BreachFile", on_delete=models.PROTECT, related_name="filings")
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    version = models.PositiveIntegerField(_("version"))
    # Key of the mapping in notifications.cnil (another template, e.g. the EDPB's, gets another key).
    template = models.CharField(max_length=40)
    # Art. 33(4): a complementary notification refers to the CNIL case number of the initial one.
    initial = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="complements")
    initial_case_number = models.CharField(_("CNIL case number of the initial notification"), max_length=60, blank=True)
    # The last submitted filing this one is compared with ("what changed since").
    previous = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    # The mapped values as they were when prepared: {field key: value}; never subject-level personal data.
    snapshot = models.JSONField(default=dict)
    changes = models.JSONField(default=list, blank=True)
    missing = models.JSONField(default=list, blank=True)
    unknown = models.JSONField(default=list, blank=True)
    is_complete = models.BooleanField(default=False)
    is_late = models.BooleanField(default=False)
    prepared_at = models.DateTimeField(_("prepared at"))
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    state = models.CharField(max_length=20, choices=State.choices, default=State.PENDING)
    # A name in the private storage (STORAGES["private"]); served only through a view that checks access.
    pdf_path = models.CharField(max_length=300, blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    pdf_pages = models.PositiveIntegerField(default=0)
    generated_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=200, blank=True)

    # What the DPO records after filing on the teleservice.
    submitted_at = models.DateTimeField(_("submitted to the CNIL at"), null=True, blank=True)
    cnil_case_number = models.CharField(_("CNIL case number"), max_length=60, blank=True)
    submission_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submission_recorded_at = models.DateTimeField(null=True, blank=True)

    objects = FilingQuerySet.as_manager()

    class Meta:
        verbose_name = _("CNIL filing")
        verbose_name_plural = _("CNIL filings")
        ordering = ["breach_file", "version"]
        constraints = [
            models.UniqueConstraint(fields=["breach_file", "version"], name="filing_version_unique"),
            models.UniqueConstraint(
                fields=["breach_file"],
                condition=models.Q(kind="initial", submitted_at__isnull=False),
                name="one_submitted_initial_filing",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="complementary") | ~models.Q(initial_case_number=""),
                name="complementary_filing_refers_to_initial",
            ),
            models.CheckConstraint(
                condition=models.Q(submitted_at__isnull=True) | ~models.Q(cnil_case_number=""),
                name="submitted_filing_has_case_number",
            ),
        ]

    def __str__(self) -> str:
        return f"filing v{self.version} ({self.kind}) of breach file #{self.breach_file_id}"

    @property
    def is_submitted(self) -> bool:
        return self.submitted_at is not None


class ProcessorNotice(models.Model):
    """Art. 33(2): the processor's notice to one controller, prepared and sent once."""

    incident = models.ForeignKey("breachdesk.Incident", on_delete=models.PROTECT, related_name="processor_notices")
    breach_file = models.OneToOneField(
        "breachdesk.BreachFile", on_delete=models.PROTECT, related_name="processor_notice"
    )
    prepared_at = models.DateTimeField(_("prepared at"))
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    letter_path = models.CharField(max_length=300, blank=True)
    letter_sha256 = models.CharField(max_length=64, blank=True)
    # The email that carries the letter: its state, attempts and recipients (the controller's DPO).
    email = models.OneToOneField(OutboundEmail, on_delete=models.PROTECT, related_name="processor_notice")
    informed_at = models.DateTimeField(_("controller informed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("processor notice")
        verbose_name_plural = _("processor notices")
        ordering = ["breach_file__controller__name"]

    def __str__(self) -> str:
        return f"processor notice #{self.pk} for breach file #{self.breach_file_id}"


class DeadlineReminder(models.Model):
    """One reminder of a breach file's deadline; the ledger keeps each to once.

    Art. 33(1): 24 h and 6 h before the 72 hours end, and once passed, each kind once per breach file.
    Art. 34(1): while persons to inform without undue delay are not (no campaign launched), one reminder per
    interval after the decision to inform, each numbered (``sequence``) for that decision.
    """

    class Kind(models.TextChoices):
        HOURS_24 = "24h", _("24 hours before the deadline")
        HOURS_6 = "6h", _("6 hours before the deadline")
        PASSED = "passed", _("Deadline passed")
        INFORM = "inform", _("Data subjects not yet informed (Art. 34)")

    breach_file = models.ForeignKey("breachdesk.BreachFile", on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    # Art. 33(1): the 72-hour deadline; for an inform reminder, when the delay after the decision became undue.
    deadline_at = models.DateTimeField()
    created_at = models.DateTimeField()
    # The decision to inform an inform reminder follows up, and its number after that decision (0, 1, ...).
    decision = models.ForeignKey(
        "breachdesk.Decision", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    sequence = models.PositiveSmallIntegerField(default=0)
    # The email that carries the reminder: its state, attempts and recipients.
    email = models.OneToOneField(OutboundEmail, on_delete=models.CASCADE, related_name="reminder")

    class Meta:
        verbose_name = _("deadline reminder")
        verbose_name_plural = _("deadline reminders")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["breach_file", "kind"], condition=~models.Q(kind="inform"), name="one_reminder_per_kind"
            ),
            models.UniqueConstraint(
                fields=["decision", "sequence"],
                condition=models.Q(kind="inform"),
                name="one_inform_reminder_per_decision_and_sequence",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="inform") | models.Q(decision__isnull=False),
                name="inform_reminder_has_decision",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} reminder for breach file #{self.breach_file_id}"


class ObligationReminder(models.Model):
    """One reminder of an obligation phase other than the CNIL filing (DOMAIN.md section 11), each kind once.

    24 h and 6 h before the phase falls due and once it has passed, for every applicable phase with a due time;
    the unique row keeps a restarted beat from sending anything twice.
    """

    breach_file = models.ForeignKey(
        "breachdesk.BreachFile", on_delete=models.CASCADE, related_name="obligation_reminders"
    )
    regime = models.CharField(max_length=40)
    phase = models.CharField(max_length=40)
    kind = models.CharField(max_length=10, choices=DeadlineReminder.Kind.choices)
    deadline_at = models.DateTimeField()
    created_at = models.DateTimeField()
    email = models.OneToOneField(OutboundEmail, on_delete=models.CASCADE, related_name="obligation_reminder")

    class Meta:
        verbose_name = _("obligation reminder")
        verbose_name_plural = _("obligation reminders")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["breach_file", "regime", "phase", "kind"], name="one_obligation_reminder_per_kind"
            ),
            models.CheckConstraint(condition=~models.Q(kind="inform"), name="obligation_reminder_is_a_deadline"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} reminder of {self.regime}/{self.phase} for breach file #{self.breach_file_id}"
