"""Incidents and the breach file each controller keeps of one, with its 72-hour clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.deconstruct import deconstructible
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from breachdesk.taxonomy import (
    STATUS_ORDER,
    AdolescentAddressee,
    Cause,
    Consequence,
    DataCategory,
    Nature,
    Origin,
    OtherBody,
    PersonCategory,
    SensitiveDetail,
    Severity,
    Status,
)

if TYPE_CHECKING:
    from breachdesk.models.organisations import User

# Art. 33(1): at the latest 72 hours after having become aware, elapsed time.
AUTHORITY_DEADLINE = timedelta(hours=72)


class LateNotificationError(ValidationError):
    """Raised when a notification after the Art. 33(1) deadline has no reasons for the delay."""


@deconstructible
class ChoiceListValidator:
    """Validate a JSON list whose items all belong to an enumeration."""

    def __init__(self, choices_path: str) -> None:
        self.choices_path = choices_path

    def __call__(self, value: object) -> None:
        choices: type[models.TextChoices] = import_string(self.choices_path)
        if not isinstance(value, list) or any(item not in choices.values for item in value):
            raise ValidationError(_("Unknown value in the list."), code="invalid_choice")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ChoiceListValidator) and other.choices_path == self.choices_path

    def __hash__(self) -> int:
        return hash(self.choices_path)


def validate_choice_list(choices: type[models.TextChoices]) -> ChoiceListValidator:
    return ChoiceListValidator(f"{choices.__module__}.{choices.__qualname__}")


class IncidentQuerySet(models.QuerySet["Incident"]):
    def visible_to(self, user: User) -> IncidentQuerySet:
        """Keep the incidents of the user's organisations, of their groups' processors, or tied to no one yet."""
        if not user.is_authenticated:
            return self.none()
        organisations = user.visible_organisations()
        if not organisations.exists():
            return self.none()
        groups = organisations.exclude(group__isnull=True).values("group")
        return self.filter(
            models.Q(processor__in=organisations)
            | models.Q(processor__group__in=groups)
            | models.Q(breach_files__controller__in=organisations)
            | models.Q(processor__isnull=True, breach_files__isnull=True)
        ).distinct()


class Incident(models.Model):
    """What happened once, often at a processor, and touches one or more controllers."""

    reference = models.CharField(
        _("reference"),
        max_length=40,
        unique=True,
        validators=[RegexValidator(r"^[A-Z0-9][A-Z0-9-]*$", _("Capitals, digits and hyphens only."))],
        help_text=_("e.g. INC-2021-0001"),
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    processor = models.ForeignKey(
        "breachdesk.Organisation",
        verbose_name=_("processor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="processed_incidents",
        limit_choices_to={"kind": "processor"},
    )
    # Art. 33(2): the processor's own side, told to each controller as the processor knows it.
    processor_became_aware_at = models.DateTimeField(
        _("processor became aware at"),
        null=True,
        blank=True,
        help_text=_("When the processor became aware of the breach (Paris time)."),
    )
    processor_account = models.TextField(
        _("processor's account of what happened"),
        blank=True,
        help_text=_("What happened, as the processor knows it: told to every controller in its notice."),
    )
    processor_measures = models.TextField(
        _("measures taken by the processor"),
        blank=True,
        help_text=_("What the processor did or proposes to do about the breach and its effects."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = IncidentQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.reference

    @property
    def missing_processor_side(self) -> list[str]:
        """Name the fields of the processor's side a notice to the controllers cannot go without."""
        filled = {
            "processor_became_aware_at": self.processor_became_aware_at is not None,
            "processor_account": bool(self.processor_account.strip()),
            "processor_measures": bool(self.processor_measures.strip()),
        }
        return [name for name, is_filled in filled.items() if not is_filled]


class BreachFileQuerySet(models.QuerySet["BreachFile"]):
    def named(self, reference: str, code: str) -> BreachFile | None:
        """Return the breach file of this incident reference and controller code (as URLs and commands name it)."""
        return (
            self.select_related("incident", "controller", "incident__processor")
            .filter(incident__reference=reference, controller__code=code)
            .first()
        )

    def visible_to(self, user: User) -> BreachFileQuerySet:
        """Keep the breach files the user's role and organisation allow (none by default)."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(controller__in=user.visible_organisations())

    def awaiting_notification(self) -> BreachFileQuerySet:
        return self.filter(authority_notified_at__isnull=True, status__in=[Status.DETECTED, Status.ASSESSED])

    def overdue(self, *, now: datetime) -> BreachFileQuerySet:
        """Keep breach files not yet notified whose 72 hours have passed."""
        return self.awaiting_notification().filter(became_aware_at__lte=now - AUTHORITY_DEADLINE)

    def by_time_left(self) -> BreachFileQuerySet:
        """Order the files still awaiting notification by deadline first, then the others."""
        waiting = models.Q(authority_notified_at__isnull=True) & models.Q(status__in=[Status.DETECTED, Status.ASSESSED])
        return self.annotate(
            is_waiting=models.Case(models.When(waiting, then=0), default=1, output_field=models.IntegerField())
        ).order_by("is_waiting", "became_aware_at", "pk")


class BreachFile(models.Model):
    """One controller's case of an incident: its own clock, filing and letters."""

    incident = models.ForeignKey(
        Incident, verbose_name=_("incident"), on_delete=models.PROTECT, related_name="breach_files"
    )
    controller = models.ForeignKey(
        "breachdesk.Organisation", verbose_name=_("controller"), on_delete=models.PROTECT, related_name="breach_files"
    )

    # Art. 33(1): the clock starts at awareness.
    became_aware_at = models.DateTimeField(_("became aware at"))
    # Art. 33(2): when the processor informed this controller.
    processor_informed_at = models.DateTimeField(_("informed by the processor at"), null=True, blank=True)
    # EDPB 9/2022: a controller is in principle aware once its processor informed it; a later awareness says why.
    late_awareness_reason = models.TextField(_("why awareness follows the processor's notice"), blank=True)
    # Each of these may be "not known yet" (empty).
    started_at = models.DateTimeField(_("breach started at"), null=True, blank=True)
    discovered_at = models.DateTimeField(_("breach discovered at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("breach ended at"), null=True, blank=True)
    discovery_circumstances = models.TextField(_("circumstances of discovery"), blank=True)

    narrative = models.TextField(_("what happened"), blank=True)
    is_established = models.BooleanField(_("established (not only suspected)"), default=True)
    is_ongoing = models.BooleanField(_("still ongoing"), default=False)
    natures = models.JSONField(_("nature"), default=list, blank=True, validators=[validate_choice_list(Nature)])
    origin = models.CharField(_("origin"), max_length=40, choices=Origin.choices, default=Origin.UNKNOWN)
    origin_detail = models.TextField(_("origin details"), blank=True)
    cause = models.CharField(_("cause"), max_length=40, choices=Cause.choices, default=Cause.UNKNOWN)

    # Art. 33(3)(a): categories and approximate numbers.
    person_categories = models.JSONField(
        _("categories of persons"), default=list, blank=True, validators=[validate_choice_list(PersonCategory)]
    )
    approximate_persons = models.PositiveIntegerField(_("approximate number of persons"), null=True, blank=True)
    approximate_records = models.PositiveIntegerField(_("approximate number of records"), null=True, blank=True)
    is_directly_identifiable = models.BooleanField(_("persons directly identifiable"), default=True)
    data_categories = models.JSONField(
        _("categories of data"), default=list, blank=True, validators=[validate_choice_list(DataCategory)]
    )
    counts_override_reason = models.TextField(
        _("reason for overriding the counts"),
        blank=True,
        help_text=_("When set, imports no longer overwrite the counts and categories."),
    )

    # Art. 33(3)(c): likely consequences.
    consequences = models.JSONField(
        _("likely consequences"), default=list, blank=True, validators=[validate_choice_list(Consequence)]
    )
    consequences_detail = models.TextField(_("consequences details"), blank=True)
    severity = models.CharField(_("severity"), max_length=20, choices=Severity.choices, blank=True)

    security_measures_before = models.TextField(_("security measures in place before the breach"), blank=True)
    # Art. 33(3)(d): measures taken or proposed.
    measures_immediate = models.TextField(_("immediate measures"), blank=True)
    measures_medium_term = models.TextField(_("medium-term measures"), blank=True)
    measures_long_term = models.TextField(_("long-term measures"), blank=True)
    mitigation_measures = models.TextField(_("measures to mitigate the effects for the persons"), blank=True)

    # Other recipients of the same breach (DOMAIN.md section 11): a complaint, and the bodies informed.
    complaint_filed_on = models.DateField(_("complaint filed on"), null=True, blank=True)
    complaint_filed_with = models.CharField(_("complaint filed with"), max_length=200, blank=True)
    other_bodies_informed = models.JSONField(
        _("other bodies informed"), default=list, blank=True, validators=[validate_choice_list(OtherBody)]
    )
    other_bodies_detail = models.TextField(_("other bodies informed: details"), blank=True)

    # Art. 34 and DOMAIN.md section 9: who is told about a minor from the digital age to 17, with the reason.
    adolescent_addressee = models.CharField(
        _("who is informed of minors from 15 to 17"), max_length=20, choices=AdolescentAddressee.choices, blank=True
    )
    adolescent_addressee_reason = models.TextField(_("reason for this choice"), blank=True)
    # Discretion: a letter can be opened by someone else at home.
    sensitive_detail = models.CharField(
        _("specific health items in letters"),
        max_length=20,
        choices=SensitiveDetail.choices,
        default=SensitiveDetail.OMIT,
    )

    other_authorities = models.TextField(_("other supervisory authorities concerned"), blank=True)
    status = models.CharField(_("status"), max_length=30, choices=Status.choices, default=Status.DETECTED)
    # Art. 33(1): a notification after 72 hours carries the reasons for the delay.
    delay_reasons = models.TextField(_("reasons for the delay"), blank=True)
    authority_notified_at = models.DateTimeField(_("supervisory authority notified at"), null=True, blank=True)

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = BreachFileQuerySet.as_manager()

    class Meta:
        ordering = ["became_aware_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "controller"], name="one_breach_file_per_controller"),
        ]

    def __str__(self) -> str:
        return f"{self.incident.reference} / {self.controller.code}"

    @property
    def authority_deadline(self) -> datetime:
        """Art. 33(1): 72 hours of elapsed time after awareness."""
        # Python adds timedeltas to aware datetimes in wall-clock time: add in UTC so a DST change counts.
        return self.became_aware_at.astimezone(UTC) + AUTHORITY_DEADLINE

    @property
    def is_awaiting_notification(self) -> bool:
        return self.authority_notified_at is None and self.status in (Status.DETECTED, Status.ASSESSED)

    def time_left(self, *, now: datetime | None = None) -> timedelta:
        """Return the time until the deadline, negative once it has passed."""
        return self.authority_deadline - (now or timezone.now()).astimezone(UTC)

    def is_overdue(self, *, now: datetime | None = None) -> bool:
        return self.is_awaiting_notification and self.time_left(now=now) <= timedelta(0)

    def is_late_at(self, moment: datetime) -> bool:
        return moment > self.authority_deadline

    def ensure_notification_allowed(self, *, at: datetime, delay_reasons: str | None = None) -> None:
        """Refuse a notification after the deadline that gives no reasons for the delay."""
        reasons = self.delay_reasons if delay_reasons is None else delay_reasons
        if self.is_late_at(at) and not reasons.strip():
            raise LateNotificationError(
                _("This notification is later than 72 hours after awareness: record the reasons for the delay."),
                code="delay_reasons_required",
            )

    def can_move_to(self, status: str) -> bool:
        """Statuses only move forward (Art. 33(5) keeps the history in the timeline)."""
        return STATUS_ORDER.index(status) > STATUS_ORDER.index(self.status)

    def clean(self) -> None:
        errors: dict[str, list[Any]] = {}
        if self.started_at and self.discovered_at and self.discovered_at < self.started_at:
            errors.setdefault("discovered_at", []).append(_("Discovery cannot precede the start."))
        if self.started_at and self.ended_at and self.ended_at < self.started_at:
            errors.setdefault("ended_at", []).append(_("The end cannot precede the start."))
        if self.is_ongoing and self.ended_at:
            errors.setdefault("ended_at", []).append(_("An ongoing breach has no end yet."))
        if self.became_aware_at and self.discovered_at and self.became_aware_at < self.discovered_at:
            # Awareness may follow discovery (checking takes time) but cannot precede it.
            errors.setdefault("became_aware_at", []).append(_("Awareness cannot precede discovery."))
        if (
            self.became_aware_at
            and self.processor_informed_at
            and self.became_aware_at > self.processor_informed_at
            and not self.late_awareness_reason.strip()
        ):
            # EDPB 9/2022: the processor's notice makes the controller aware, unless a reason says otherwise.
            errors.setdefault("late_awareness_reason", []).append(
                _(
                    "Awareness is recorded after the processor's notice: a controller is in principle aware once "
                    "its processor informed it (EDPB 9/2022). Explain why awareness came later."
                )
            )
        if self.complaint_filed_on and not self.complaint_filed_with.strip():
            errors.setdefault("complaint_filed_with", []).append(_("Say where the complaint was filed."))
        if self.authority_notified_at and self.became_aware_at:
            try:
                self.ensure_notification_allowed(at=self.authority_notified_at)
            except LateNotificationError as error:
                errors.setdefault("delay_reasons", []).extend(error.messages)
        if errors:
            raise ValidationError(errors)
