"""Forms of the breach file pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from breachdesk.formats import reader_language
from breachdesk.models import BreachFile, DecisionKind, DecisionOutcome, Incident, Organisation, User
from breachdesk.models.risk import OUTCOMES_BY_KIND
from breachdesk.risk import AvailabilityLoss, Band, ConfidentialityLoss, Identification, IntegrityLoss
from breachdesk.taxonomy import EXPOSURES, Consequence, DataCategory, Nature, OtherBody, PersonCategory, Status

DATETIME_FIELDS = [
    "became_aware_at",
    "processor_informed_at",
    "started_at",
    "discovered_at",
    "ended_at",
    "authority_notified_at",
]
LIST_FIELDS = {
    "natures": Nature,
    "person_categories": PersonCategory,
    "data_categories": DataCategory,
    "consequences": Consequence,
    "other_bodies_informed": OtherBody,
}


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class BreachFileForm(forms.ModelForm):
    """Create or edit a breach file; datetimes are entered in Europe/Paris time."""

    class Meta:
        model = BreachFile
        fields = [
            "incident",
            "controller",
            "became_aware_at",
            "processor_informed_at",
            "late_awareness_reason",
            "started_at",
            "discovered_at",
            "ended_at",
            "discovery_circumstances",
            "narrative",
            "is_established",
            "is_ongoing",
            "natures",
            "origin",
            "origin_detail",
            "cause",
            "person_categories",
            "approximate_persons",
            "approximate_records",
            "is_directly_identifiable",
            "data_categories",
            "counts_override_reason",
            "consequences",
            "consequences_detail",
            "severity",
            "security_measures_before",
            "measures_immediate",
            "measures_medium_term",
            "measures_long_term",
            "mitigation_measures",
            "complaint_filed_on",
            "complaint_filed_with",
            "other_bodies_informed",
            "other_bodies_detail",
            "other_authorities",
            "status",
            "authority_notified_at",
            "delay_reasons",
        ]
        widgets = {
            **{name: LocalDateTimeInput() for name in DATETIME_FIELDS},
            "complaint_filed_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, choices in LIST_FIELDS.items():
            self.fields[name] = forms.MultipleChoiceField(
                label=self.fields[name].label,
                choices=choices.choices,
                required=False,
                widget=forms.CheckboxSelectMultiple,
            )
        for name in DATETIME_FIELDS:
            field = self.fields[name]
            assert isinstance(field, forms.DateTimeField)
            field.input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"]
        controllers = user.visible_organisations().filter(kind=Organisation.Kind.CONTROLLER)
        controller_field = self.fields["controller"]
        assert isinstance(controller_field, forms.ModelChoiceField)
        controller_field.queryset = controllers
        incident_field = self.fields["incident"]
        assert isinstance(incident_field, forms.ModelChoiceField)
        # Incidents of the user's organisations, of their group's processors, or tied to no one: never another group's.
        organisations = user.visible_organisations()
        groups = organisations.exclude(group__isnull=True).values("group")
        incident_field.queryset = Incident.objects.filter(
            models.Q(processor__in=organisations)
            | models.Q(processor__group__in=groups)
            | models.Q(breach_files__controller__in=organisations)
            | models.Q(processor__isnull=True, breach_files__isnull=True)
        ).distinct()
        if self.instance.pk:
            # The incident and controller identify the file: they do not change after creation.
            self.fields["incident"].disabled = True
            self.fields["controller"].disabled = True
        status_field = self.fields["status"]
        assert isinstance(status_field, forms.ChoiceField)
        status_field.choices = Status.choices

    def clean_status(self) -> str:
        status: str = self.cleaned_data["status"]
        if self.instance.pk and status != self.instance.status and not self.instance.can_move_to(status):
            raise forms.ValidationError(_("A breach file's status only moves forward."))
        return status


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


DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"]


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
