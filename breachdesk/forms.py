"""Forms of the breach file pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _

from breachdesk.models import BreachFile, Incident, Organisation, User
from breachdesk.taxonomy import Consequence, DataCategory, Nature, PersonCategory, Status

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
            "started_at",
            "discovered_at",
            "ended_at",
            "discovery_circumstances",
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
            "measures_immediate",
            "measures_medium_term",
            "measures_long_term",
            "other_authorities",
            "status",
            "authority_notified_at",
            "delay_reasons",
        ]
        widgets = {name: LocalDateTimeInput() for name in DATETIME_FIELDS}

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
