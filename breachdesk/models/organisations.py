"""Organisations (controllers and processors), their groups and the users who act for them."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from stdnum.fr import siren, siret


def validate_siren_or_siret(value: str) -> None:
    """Accept a valid SIREN (9 digits) or SIRET (14 digits), spaces allowed."""
    compact = value.replace(" ", "")
    validator = siren if len(compact) == 9 else siret
    if not validator.is_valid(compact):
        raise ValidationError(_("Not a valid SIREN or SIRET number."), code="invalid_siret")


class OrganisationGroup(models.Model):
    """Organisations a compliance officer oversees together (a laboratory group or a processor's clients)."""

    name = models.CharField(_("name"), max_length=200, unique=True)

    def __str__(self) -> str:
        return self.name


class Organisation(models.Model):
    class Kind(models.TextChoices):
        CONTROLLER = "controller", _("Controller")
        PROCESSOR = "processor", _("Processor")

    code = models.SlugField(
        _("code"),
        max_length=40,
        unique=True,
        validators=[RegexValidator(r"^[A-Z0-9][A-Z0-9-]*$", _("Capitals, digits and hyphens only."))],
        help_text=_("Short unique code used in addresses and commands, e.g. LAB-RENNES."),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.CONTROLLER)
    name = models.CharField(_("name"), max_length=200)
    group = models.ForeignKey(
        OrganisationGroup,
        verbose_name=_("group"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="organisations",
    )
    siret = models.CharField(
        _("SIREN or SIRET"),
        max_length=20,
        blank=True,
        validators=[validate_siren_or_siret],
        help_text=_("Leave empty only when the organisation has no SIREN."),
    )
    has_no_siren = models.BooleanField(_("has no SIREN"), default=False)
    address = models.TextField(_("address"), blank=True)
    sector = models.CharField(_("sector"), max_length=120, blank=True)

    # Art. 33(3)(b): the DPO or another contact point.
    dpo_name = models.CharField(_("DPO or contact point name"), max_length=200, blank=True)
    dpo_email = models.EmailField(_("DPO email"), blank=True)
    dpo_phone = models.CharField(_("DPO phone"), max_length=40, blank=True)
    dpo_address = models.TextField(_("DPO postal address"), blank=True)

    legal_representative_name = models.CharField(_("legal representative"), max_length=200, blank=True)
    legal_representative_title = models.CharField(_("legal representative title"), max_length=200, blank=True)
    signatory_name = models.CharField(_("letter signatory"), max_length=200, blank=True)
    signatory_title = models.CharField(_("letter signatory title"), max_length=200, blank=True)
    # An English letter holds no French: the title as English letters print it.
    signatory_title_en = models.CharField(_("letter signatory title in English"), max_length=200, blank=True)
    # DOMAIN.md section 11: the insurer's notice is due as the policy says; empty = not decided yet.
    insurer_notice_hours = models.PositiveIntegerField(
        _("hours the insurance policy gives to notify the insurer"),
        null=True,
        blank=True,
        help_text=_("Leave empty while the policy has not been checked."),
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=~(models.Q(has_no_siren=True) & ~models.Q(siret="")),
                name="organisation_siret_or_explicitly_none",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def signatory_title_in(self, language: str) -> str:
        """Return the signatory's title in a letter's language; empty rather than French in an English letter."""
        return self.signatory_title_en if language == "en" else self.signatory_title

    @property
    def siren(self) -> str:
        return self.siret.replace(" ", "")[:9]


class Role(models.TextChoices):
    DPO = "dpo", _("Lab DPO")
    COMPLIANCE_OFFICER = "compliance_officer", _("Compliance officer")
    MAILROOM = "mailroom", _("Mailroom operator")
    ADMIN = "admin", _("Administrator")


class User(AbstractUser):
    """A person using BreachDesk; what they see follows their role and organisation (deny by default)."""

    role = models.CharField(_("role"), max_length=30, choices=Role.choices, blank=True)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    group = models.ForeignKey(
        OrganisationGroup,
        verbose_name=_("group"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )

    @property
    def is_admin_role(self) -> bool:
        return self.is_superuser or self.role == Role.ADMIN

    def visible_organisations(self) -> models.QuerySet[Organisation]:
        """Return the organisations whose breach files this user may read."""
        if not self.is_active:
            return Organisation.objects.none()
        if self.is_admin_role:
            return Organisation.objects.all()
        if self.role == Role.COMPLIANCE_OFFICER and self.group_id:
            return Organisation.objects.filter(group_id=self.group_id)
        if self.role == Role.DPO and self.organisation_id:
            return Organisation.objects.filter(pk=self.organisation_id)
        return Organisation.objects.none()

    def mailroom_organisations(self) -> models.QuerySet[Organisation]:
        """Return the organisations whose print batches this user may handle."""
        if not self.is_active:
            return Organisation.objects.none()
        if self.is_admin_role:
            return Organisation.objects.all()
        if self.role == Role.MAILROOM:
            if self.group_id:
                return Organisation.objects.filter(group_id=self.group_id)
            if self.organisation_id:
                return Organisation.objects.filter(pk=self.organisation_id)
        return Organisation.objects.none()

    def can_read_audit_trail(self) -> bool:
        """Admins and compliance officers read the audit trail, a DPO their own organisation's entries."""
        return self.is_active and (
            self.is_admin_role
            or (self.role == Role.COMPLIANCE_OFFICER and bool(self.group_id))
            or (self.role == Role.DPO and bool(self.organisation_id))
        )

    def can_edit_breach_files(self) -> bool:
        return self.is_active and (self.is_admin_role or (self.role == Role.DPO and bool(self.organisation_id)))

    def can_record_breach_files(self) -> bool:
        """Open incidents and breach files and describe them: a lab's DPO, a group's compliance officer, an admin."""
        if self.can_edit_breach_files():
            return True
        return self.is_active and self.role == Role.COMPLIANCE_OFFICER and bool(self.group_id)

    def acting_controllers(self) -> models.QuerySet[Organisation]:
        """Return the controllers this user may open breach files for (a DPO their lab, an officer their group's)."""
        if not self.can_record_breach_files():
            return Organisation.objects.none()
        return self.visible_organisations().filter(kind=Organisation.Kind.CONTROLLER)

    def available_processors(self) -> models.QuerySet[Organisation]:
        """Return the processors this user may name on an incident: those of their organisations' groups."""
        processors = Organisation.objects.filter(kind=Organisation.Kind.PROCESSOR)
        if not self.can_record_breach_files():
            return processors.none()
        if self.is_admin_role:
            return processors
        groups = self.visible_organisations().exclude(group__isnull=True).values("group")
        return processors.filter(group__in=groups)

    @property
    def acting_group_id(self) -> int | None:
        """The group a processor this user creates belongs to (the officer's, or the DPO's lab's)."""
        if self.group_id:
            return self.group_id
        return self.organisation.group_id if self.organisation is not None else None
