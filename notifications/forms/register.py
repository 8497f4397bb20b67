"""Filters of the compliance dashboard and the register."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from breachdesk.forms import DateInput
from breachdesk.models import Incident, Organisation, User
from breachdesk.taxonomy import Status


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
