"""Forms of the obligations panel: a decision on applicability, a phase's submission."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from breachdesk.forms import LocalDateTimeInput
from breachdesk.models import Applicability


class ObligationDecisionForm(forms.Form):
    applicability = forms.ChoiceField(label=_("Does this obligation apply?"), choices=Applicability.choices)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class PhaseSubmissionForm(forms.Form):
    submitted_at = forms.DateTimeField(
        label=_("Submitted at (Paris time)"),
        input_formats=["%Y-%m-%dT%H:%M", "%d/%m/%Y %H:%M"],
        widget=LocalDateTimeInput(),
    )
    reference = forms.CharField(label=_("Recipient's reference"), max_length=120, required=False)
    delay_reasons = forms.CharField(
        label=_("Reasons for the delay"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when the phase is submitted after its due time."),
    )
