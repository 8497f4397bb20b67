"""Forms of the risk, decision, filing, dashboard and register pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from breachdesk.models import DecisionKind, DecisionOutcome, Incident, Organisation, User
from breachdesk.models.risk import OUTCOMES_BY_KIND
from breachdesk.risk import AvailabilityLoss, Band, ConfidentialityLoss, Identification, IntegrityLoss
from breachdesk.taxonomy import EXPOSURES, Status

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"]


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


def _exposure_choices() -> list[tuple[str, str]]:
    """The exposures named in the language of the page (a callable: read when the form is shown)."""
    language = "en" if (get_language() or "").startswith("en") else "fr"
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


class PrepareFilingForm(forms.Form):
    kind = forms.ChoiceField(choices=[("initial", _("Initial")), ("complementary", _("Complementary"))])
    confirm_phased = forms.BooleanField(
        label=_(
            "I confirm the items listed are genuinely not known yet and will follow in a complementary "
            "notification (Art. 33(4))."
        ),
        required=False,
    )

    def __init__(self, *args: Any, is_complete: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.is_complete = is_complete

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not self.is_complete and not cleaned.get("confirm_phased"):
            self.add_error("confirm_phased", _("Confirm the phased notification, or complete the missing items."))
        return cleaned


class SubmissionForm(forms.Form):
    submitted_at = forms.DateTimeField(
        label=_("Submitted on the CNIL teleservice at (Paris time)"),
        widget=LocalDateTimeInput(),
        input_formats=DATETIME_FORMATS,
    )
    case_number = forms.CharField(label=_("CNIL case number"), max_length=60, required=False)
    delay_reasons = forms.CharField(
        label=_("Reasons for the delay (Art. 33(1))"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


def _controller_choices(user: User) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        queryset=user.visible_organisations().filter(kind=Organisation.Kind.CONTROLLER),
        required=False,
        label=_("Organisation"),
        to_field_name="code",
    )


class DashboardFilterForm(forms.Form):
    status = forms.ChoiceField(choices=[("", _("All statuses")), *Status.choices], required=False, label=_("Status"))
    incident = forms.ModelChoiceField(
        queryset=Incident.objects.none(), required=False, label=_("Incident"), to_field_name="reference"
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields = {"organisation": _controller_choices(user), **self.fields}
        incident_field = self.fields["incident"]
        assert isinstance(incident_field, forms.ModelChoiceField)
        incident_field.queryset = Incident.objects.filter(
            breach_files__controller__in=user.visible_organisations()
        ).distinct()


class RegisterFilterForm(forms.Form):
    aware_from = forms.DateField(label=_("Aware from"), required=False, widget=DateInput())
    aware_until = forms.DateField(label=_("Aware until"), required=False, widget=DateInput())

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields = {"organisation": _controller_choices(user), **self.fields}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("aware_from"), cleaned.get("aware_until")
        if start and end and end < start:
            self.add_error("aware_until", _("The end of the period precedes its start."))
        return cleaned
