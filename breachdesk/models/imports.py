"""Imports of data subject files: progress, outcome and the error report (never personal values)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from breachdesk import crypto

if TYPE_CHECKING:
    from breachdesk.models.organisations import User


class SubjectImport(models.Model):
    """One uploaded file of data subjects for a breach file, imported all or nothing."""

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting for a worker")
        RUNNING = "running", _("Running")
        IMPORTED = "imported", _("Imported")
        REJECTED = "rejected", _("Rejected")
        # A dry run whose file would import: nothing was stored.
        VALID = "valid", _("Valid (dry run, nothing stored)")
        ALREADY_IMPORTED = "already_imported", _("Already imported")
        FAILED = "failed", _("Failed")

    breach_file = models.ForeignKey("breachdesk.BreachFile", on_delete=models.CASCADE, related_name="imports")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.PENDING)
    # SHA-256 of the file's bytes: re-importing the same file is recognised and harmless.
    file_sha256 = models.CharField(max_length=64, db_index=True)
    file_size = models.PositiveBigIntegerField(default=0)
    file_format = models.CharField(max_length=10, blank=True)
    # The uploader's file name, encrypted: "patients_VIH_2021.xlsx" or a patient's name is personal data. Shown
    # decrypted on the import pages (to whoever may see the breach file), never logged nor audited.
    original_name_token = models.TextField(editable=False, blank=True)
    file_encoding = models.CharField(max_length=20, blank=True)
    delimiter = models.CharField(max_length=1, blank=True)
    # Path of the encrypted upload while it waits; emptied once the import ends.
    stored_path = models.CharField(max_length=500, blank=True)
    is_dry_run = models.BooleanField(default=False)

    # Rows the cheap count before parsing found; the progress bar's 100%.
    rows_expected = models.PositiveIntegerField(default=0)
    rows_read = models.PositiveIntegerField(default=0)
    rows_validated = models.PositiveIntegerField(default=0)
    rows_stored = models.PositiveIntegerField(default=0)
    rows_rejected = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    unreachable = models.PositiveIntegerField(default=0)
    # Subjects stored without a usable postal address although one was given: kept out of letters until corrected.
    addresses_to_review = models.PositiveIntegerField(default=0)
    warnings = models.PositiveIntegerField(default=0)
    errors = models.PositiveIntegerField(default=0)
    # The findings (line, column, code, message as its gettext id and parameters), told in the reader's language.
    findings = models.JSONField(default=list, blank=True)
    # How the import ended, as messages (gettext id and parameters) told in the reader's language.
    outcome = models.JSONField(default=list, blank=True)
    # Imports before codes: the report as a CSV of French sentences and the summary as a sentence, shown as they are.
    error_report = models.TextField(blank=True)
    message = models.TextField(blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("data subject import")
        verbose_name_plural = _("data subject imports")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["breach_file", "file_sha256"],
                condition=models.Q(state="imported"),
                name="one_successful_import_per_file",
            ),
        ]

    def __str__(self) -> str:
        return f"import #{self.pk} ({self.state})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self.original_name_token:
            # Every row holds a token, an empty name too: key rotation and its count read every row.
            self.original_name = ""
        super().save(*args, **kwargs)

    @property
    def original_name(self) -> str:
        """Return the uploaded file's name, or "" when no configured key can read it."""
        if not self.original_name_token:
            return ""
        try:
            return crypto.decrypt_bytes(self.original_name_token).decode("utf-8")
        except crypto.DecryptionError:
            return ""

    @original_name.setter
    def original_name(self, value: str) -> None:
        self.original_name_token = crypto.encrypt_bytes(value[:255].encode("utf-8"))

    @property
    def summary_text(self) -> str:
        """How the import ended, in the active language."""
        from breachdesk.importing.messages import render_all

        return render_all(self.outcome) if self.outcome else self.message

    @property
    def is_finished(self) -> bool:
        return self.state not in (self.State.PENDING, self.State.RUNNING)


class CrossControllerMatchQuerySet(models.QuerySet["CrossControllerMatch"]):
    def visible_to(self, user: User) -> CrossControllerMatchQuerySet:
        """Only matches between two breach files the user may both see: a lab's DPO sees none of another lab's."""
        from breachdesk.models.incidents import BreachFile

        visible = BreachFile.objects.visible_to(user)
        return self.filter(breach_file__in=visible, other_breach_file__in=visible)


class CrossControllerMatch(models.Model):
    """A data subject also in another controller's breach file of the incident, by NIR or by name and birth date.

    Recorded when an import is stored and never told in the importing DPO's report: the match depends on another
    organisation's data, so only a user who may see both breach files (the group's compliance officer) sees it.
    """

    class Basis(models.TextChoices):
        NIR = "nir", _("Same NIR")
        IDENTITY = "identity", _("Same last name, first name and birth date")

    subject = models.ForeignKey("breachdesk.DataSubject", on_delete=models.CASCADE, related_name="+")
    breach_file = models.ForeignKey("breachdesk.BreachFile", on_delete=models.CASCADE, related_name="+")
    other_breach_file = models.ForeignKey("breachdesk.BreachFile", on_delete=models.CASCADE, related_name="+")
    basis = models.CharField(max_length=20, choices=Basis.choices)
    found_at = models.DateTimeField(default=timezone.now)

    objects = CrossControllerMatchQuerySet.as_manager()

    class Meta:
        ordering = ["subject_id", "other_breach_file_id"]
        verbose_name = _("match at another controller")
        verbose_name_plural = _("matches at other controllers")
        constraints = [
            models.UniqueConstraint(fields=["subject", "other_breach_file"], name="one_match_per_subject_and_file")
        ]

    def __str__(self) -> str:
        return f"subject #{self.subject_id} also in breach file #{self.other_breach_file_id} ({self.basis})"
