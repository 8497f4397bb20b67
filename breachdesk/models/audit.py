"""The append-only audit trail and the breach file timeline; neither ever holds personal data."""

from __future__ import annotations

from typing import Any, ClassVar, NoReturn, TypeVar

from django.conf import settings
from django.db import models, router, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from breachdesk import audit_chain

_M = TypeVar("_M", bound=models.Model)


class AppendOnlyError(Exception):
    """Raised on an attempt to change or delete an append-only record."""


class AppendOnlyQuerySet(models.QuerySet[_M]):
    """Rows are added, never changed or deleted in bulk (on PostgreSQL the audit tables' triggers say the same)."""

    def update(self, **kwargs: Any) -> int:
        # Deleting a user sets its foreign keys here to NULL (on_delete=SET_NULL): the one change allowed.
        detachable = getattr(self.model, "detachable_fields", ())
        if kwargs and all(name in detachable and value is None for name, value in kwargs.items()):
            return super().update(**kwargs)
        raise AppendOnlyError(f"{self.model.__name__} is append-only: update() refused")

    def delete(self) -> NoReturn:
        raise AppendOnlyError(f"{self.model.__name__} is append-only: delete() refused")


class AppendOnlyModel(models.Model):
    # Foreign keys that deleting their target sets to NULL; nothing else of a row ever changes.
    # Each concrete model's manager is built on AppendOnlyQuerySet.
    detachable_fields: ClassVar[tuple[str, ...]] = ()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError(f"{type(self).__name__} #{self.pk} is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError(f"{type(self).__name__} #{self.pk} is append-only")


class HashChainedQuerySet(AppendOnlyQuerySet[_M]):
    def bulk_create(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError(f"{self.model.__name__} entries are chained one by one: create() them")


class HashChainedModel(AppendOnlyModel):
    """An append-only entry sealed with the previous one (breachdesk.audit_chain; `manage.py verify_audit`)."""

    # The fields the seal covers: every field but the id, the seal and the detachable foreign keys.
    chained_fields: ClassVar[tuple[str, ...]] = ()
    # The chain's advisory lock on PostgreSQL, one per table.
    chain_lock_key: ClassVar[int] = 0

    chain_hash = models.CharField(max_length=64, editable=False)

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            super().save(*args, **kwargs)
            return
        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        with transaction.atomic(using=using):
            audit_chain.link(self, using=using)
            super().save(*args, **kwargs)


class AuditObject(models.TextChoices):
    """What an audit entry of the core app is about (each app built on it has its own codes)."""

    AUDIT_TRAIL = "audit_trail", _("Audit trail")
    BREACH_FILE = "breach_file", _("Breach file")
    DATA_SUBJECT = "data_subject", _("Data subject")
    DATA_SUBJECT_LIST = "data_subject_list", _("List of data subjects")
    DECISION = "decision", _("Decision")
    INCIDENT = "incident", _("Incident")
    OBLIGATION_DECISION = "obligation_decision", _("Decision on an obligation")
    OBLIGATION_SUBMISSION = "obligation_submission", _("Submission of an obligation")
    ORGANISATION = "organisation", _("Organisation")
    OVERSIGHT = "oversight", _("Oversight pages")
    PROCESSOR_SIDE = "processor_side", _("Processor's pages")
    RISK_ASSESSMENT = "risk_assessment", _("Risk assessment")
    SUBJECT_IMPORT = "subject_import", _("Import of data subjects")
    SUBJECT_IMPORT_REPORT = "subject_import_report", _("Import error report")


class AuditEvent(HashChainedModel):
    """Who viewed, exported or changed what, and when: ids only."""

    class Action(models.TextChoices):
        VIEW = "view", _("Viewed")
        CREATE = "create", _("Created")
        CHANGE = "change", _("Changed")
        EXPORT = "export", _("Exported")
        IMPORT = "import", _("Imported")
        DOWNLOAD = "download", _("Downloaded")
        DENIED = "denied", _("Access denied")

    # Set before the entry is sealed (auto_now_add would set it after).
    at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    # Kept apart from the foreign key so the trail survives the user's deletion.
    username = models.CharField(max_length=150)
    action = models.CharField(max_length=20, choices=Action.choices)
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=40, blank=True)
    organisation_id = models.BigIntegerField(null=True, blank=True)
    detail = models.CharField(max_length=200, blank=True)

    objects = HashChainedQuerySet["AuditEvent"].as_manager()

    detachable_fields = ("user",)
    chained_fields = ("at", "username", "action", "object_type", "object_id", "organisation_id", "detail")
    chain_lock_key = 1

    class Meta:
        verbose_name = _("audit trail entry")
        verbose_name_plural = _("audit trail entries")
        ordering = ["-at", "-pk"]
        indexes = [
            # The audit trail page reads an organisation's or a user's entries newest first, a page at a time.
            models.Index(fields=["organisation_id", "-at"], name="audit_organisation_at"),
            models.Index(fields=["user", "-at"], name="audit_user_at"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.action} {self.object_type}#{self.object_id}"


class BreachFileEvent(HashChainedModel):
    """A dated step in a breach file's life, shown on its timeline and kept for the register."""

    breach_file = models.ForeignKey("breachdesk.BreachFile", on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # A code of breachdesk.timeline.TimelineKind (or of an app that registered its own) and its parameters:
    # told in the reader's language when shown (breachdesk.timeline.describe), never stored as a sentence.
    kind = models.CharField(max_length=40)
    params = models.JSONField(default=dict, blank=True)
    # Only steps recorded before codes were stored have a sentence here.
    summary = models.CharField(max_length=300, blank=True)

    objects = HashChainedQuerySet["BreachFileEvent"].as_manager()

    detachable_fields = ("actor",)
    chained_fields = ("breach_file", "at", "kind", "params", "summary")
    chain_lock_key = 2

    class Meta:
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline entries")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.kind}"

    @property
    def text(self) -> str:
        """The step told in the active language."""
        from breachdesk.timeline import describe

        return describe(self)
