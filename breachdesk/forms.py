"""Forms of the breach file pages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import construct_instance
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from breachdesk.formats import reader_language
from breachdesk.models import BreachFile, DecisionKind, DecisionOutcome, Incident, Organisation, User
from breachdesk.models.risk import OUTCOMES_BY_KIND
from breachdesk.risk import AvailabilityLoss, Band, ConfidentialityLoss, Identification, IntegrityLoss
from breachdesk.sections import LIST_CHOICES, SECTIONS, Section
from breachdesk.taxonomy import EXPOSURES, Status

DATETIME_FIELDS = [
    "became_aware_at",
    "processor_informed_at",
    "started_at",
    "discovered_at",
    "ended_at",
]
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"]


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


def compact_textareas(form: forms.BaseForm) -> None:
    """Give the text areas of the long forms three lines (a person can enlarge them)."""
    for field in form.fields.values():
        if isinstance(field.widget, forms.Textarea):
            field.widget.attrs["rows"] = 3


class ControllerChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} — {obj.code}"


@dataclass(frozen=True)
class Fieldset:
    section: Section
    fields: list[forms.BoundField]


class BreachFileForm(forms.ModelForm):
    """Create breach files (one per controller chosen) or edit one; datetimes are entered in Europe/Paris time.

    The status and the authority's notification are not fields: the filing flow records them (Art. 33(1)).
    """

    controllers = ControllerChoiceField(
        label=_("Controllers concerned"),
        queryset=Organisation.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("One breach file is opened for each controller, with the same facts; each is then its own case."),
    )

    class Meta:
        model = BreachFile
        fields = ["incident", *(name for section in SECTIONS for name in section.fields)]
        widgets = {
            **{name: LocalDateTimeInput() for name in DATETIME_FIELDS},
            "complaint_filed_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.duplicates: list[BreachFile] = []
        self.has_one_controller = True
        for name, choices in LIST_CHOICES.items():
            self.fields[name] = forms.MultipleChoiceField(
                label=self.fields[name].label,
                choices=choices.choices,
                required=False,
                widget=forms.CheckboxSelectMultiple,
            )
        for name in DATETIME_FIELDS:
            field = self.fields[name]
            assert isinstance(field, forms.DateTimeField)
            field.input_formats = DATETIME_FORMATS
        compact_textareas(self)
        incident_field = self.fields["incident"]
        assert isinstance(incident_field, forms.ModelChoiceField)
        # Incidents of the user's organisations, of their group's processors, or tied to no one: never another group's.
        incident_field.queryset = Incident.objects.visible_to(user)
        if self.instance.pk:
            # The incident and controller identify the file: they do not change after creation.
            incident_field.disabled = True
            del self.fields["controllers"]
        else:
            # Named by its reference, as the incident page links here (?incident=INC-...).
            incident_field.to_field_name = "reference"
            controllers_field = self.fields["controllers"]
            assert isinstance(controllers_field, forms.ModelMultipleChoiceField)
            controllers_field.queryset = user.acting_controllers()
            self.has_one_controller = controllers_field.queryset.count() == 1
            if self.has_one_controller:
                # A lab's DPO opens their own lab's file: nothing to choose.
                controllers_field.initial = list(controllers_field.queryset)

    def fieldsets(self) -> list[Fieldset]:
        """Group the fields in the sections of the breach file page, in its order."""
        return [
            Fieldset(section, [self[name] for name in section.fields if name in self.fields]) for section in SECTIONS
        ]

    def clean(self) -> dict[str, Any] | None:
        cleaned_data = super().clean()
        if not self.instance.pk:
            self.find_duplicates()
        return cleaned_data

    def find_duplicates(self) -> None:
        """Name the breach files this incident already has for the chosen controllers (one per controller)."""
        incident = self.cleaned_data.get("incident")
        controllers = self.cleaned_data.get("controllers")
        if incident is None or not controllers:
            return
        self.duplicates = list(
            BreachFile.objects.filter(incident=incident, controller__in=controllers)
            .select_related("incident", "controller")
            .order_by("controller__name")
        )
        if self.duplicates:
            names = ", ".join(
                f"{existing.controller.name} — {existing.controller.code}" for existing in self.duplicates
            )
            self.add_error(
                "controllers",
                ValidationError(
                    ngettext(
                        "The incident %(incident)s already has a breach file for %(controllers)s.",
                        "The incident %(incident)s already has breach files for %(controllers)s.",
                        len(self.duplicates),
                    ),
                    code="duplicate",
                    params={"incident": incident.reference, "controllers": names},
                ),
            )

    def new_breach_files(self) -> list[BreachFile]:
        """Build one unsaved breach file per controller chosen, each with the facts entered."""
        fields = [name for name in self._meta.fields or [] if name in self.fields]
        return [
            construct_instance(self, BreachFile(controller=controller), fields=fields)
            for controller in self.cleaned_data["controllers"]
        ]


class IncidentForm(forms.ModelForm):
    """Open an incident and name its processor: one the user's group knows, or a new one (ProcessorForm)."""

    class Meta:
        model = Incident
        fields = [
            "reference",
            "title",
            "description",
            "processor",
            "processor_became_aware_at",
            "processor_account",
            "processor_measures",
        ]
        widgets = {"processor_became_aware_at": LocalDateTimeInput()}

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        processor_field = self.fields["processor"]
        assert isinstance(processor_field, forms.ModelChoiceField)
        processor_field.queryset = user.available_processors()
        processor_field.empty_label = _("— none, or a new processor below —")
        processor_field.help_text = _("The processor at the origin of the breach, when there is one (Art. 33(2)).")
        aware_field = self.fields["processor_became_aware_at"]
        assert isinstance(aware_field, forms.DateTimeField)
        aware_field.input_formats = DATETIME_FORMATS
        compact_textareas(self)

    def clean_reference(self) -> str:
        reference: str = self.cleaned_data["reference"]
        return reference.strip().upper()


class ProcessorForm(forms.ModelForm):
    """A new processor, created with the incident (left empty when the processor is chosen above)."""

    class Meta:
        model = Organisation
        fields = ["code", "name", "siret", "address", "dpo_name", "dpo_email", "dpo_phone"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "processor")
        kwargs.setdefault("empty_permitted", True)
        kwargs.setdefault("use_required_attribute", False)
        super().__init__(*args, **kwargs)
        self.fields["name"].label = _("Name of the new processor")
        self.fields["code"].label = _("Code of the new processor")
        self.fields["code"].help_text = _("Short unique code, e.g. VENDOR-LABSOFT.")
        self.fields["dpo_name"].label = _("Contact person at the processor")
        self.fields["dpo_email"].label = _("Contact email")
        self.fields["dpo_phone"].label = _("Contact phone")
        compact_textareas(self)

    def clean_code(self) -> str:
        code: str = self.cleaned_data["code"]
        return code.strip().upper()


class DashboardFilterForm(forms.Form):
    organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.none(), required=False, label=_("Organisation"), to_field_name="code"
    )
    status = forms.ChoiceField(choices=[("", _("All statuses")), *Status.choices], required=False, label=_("Status"))

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        organisation_field = self.fields["organisation"]
        assert isinstance(organisation_field, forms.ModelChoiceField)
        organisation_field.queryset = user.visible_organisations().filter(kind=Organisation.Kind.CONTROLLER)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


def _exposure_choices() -> list[tuple[str, str]]:
    """The exposures named in the language of the page (a callable: read when the form is shown)."""
    language = reader_language()
    return [(code, f"{exposure.label(language)} (DPC {exposure.base_dpc})") for code, exposure in EXPOSURES.items()]


class RiskAssessmentForm(forms.Form):
    exposures = forms.MultipleChoiceField(
        label=_("Exposed data"),
        choices=_exposure_choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Proposed: everything exposed for the imported data subjects. The highest DPC wins."),
    )
    identification = forms.ChoiceField(
        label=_("Ease of identification (EI)"), choices=Identification.choices, widget=forms.RadioSelect
    )
    confidentiality = forms.ChoiceField(
        label=_("Loss of confidentiality"), choices=ConfidentialityLoss.choices, widget=forms.RadioSelect
    )
    integrity = forms.ChoiceField(label=_("Loss of integrity"), choices=IntegrityLoss.choices, widget=forms.RadioSelect)
    availability = forms.ChoiceField(
        label=_("Loss of availability"), choices=AvailabilityLoss.choices, widget=forms.RadioSelect
    )
    is_malicious = forms.BooleanField(label=_("Malicious intent (+0.5)"), required=False)
    notes = forms.CharField(label=_("Why these levels"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    level = forms.ChoiceField(
        label=_("Retained risk level"),
        choices=[("", _("The default: the computed band, high at least for health data")), *Band.choices],
        required=False,
    )
    level_rationale = forms.CharField(
        label=_("Why the retained level differs from the default"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when you choose a level other than the default (EDPB 9/2022 para 102 for health data)."),
    )


class DecisionForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Decision"), widget=forms.RadioSelect)
    levels = forms.MultipleChoiceField(
        label=_("Inform the data subjects at these risk levels"),
        choices=Band.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    rationale = forms.CharField(label=_("Rationale"), widget=forms.Textarea(attrs={"rows": 3}))
    override_rationale = forms.CharField(
        label=_("Why depart from the proposed decision"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Required when your decision differs from the proposal. When health data were exposed, every affected "
            "person is informed by default (EDPB 9/2022 para 102): informing fewer needs a written reason here."
        ),
    )
    public_communication = forms.CharField(
        label=_("Public communication (Art. 34(3)(c)): what, where"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    public_communication_at = forms.DateTimeField(
        label=_("Public communication made at"),
        required=False,
        widget=LocalDateTimeInput(),
        input_formats=DATETIME_FORMATS,
    )

    def __init__(self, *args: Any, kind: str, **kwargs: Any) -> None:
        kwargs["prefix"] = kind
        super().__init__(*args, **kwargs)
        self.kind = kind
        outcome_field = self.fields["outcome"]
        assert isinstance(outcome_field, forms.ChoiceField)
        outcome_field.choices = [
            (value, label) for value, label in DecisionOutcome.choices if value in OUTCOMES_BY_KIND[kind]
        ]
        if kind == DecisionKind.NOTIFY_AUTHORITY:
            for name in ("levels", "public_communication", "public_communication_at"):
                del self.fields[name]


def add_validation_errors(form: forms.Form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: on its field when it names one, else on the whole form."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)
