"""Forms of the CNIL filing pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from breachdesk.forms import DATETIME_FORMATS, DateInput, LocalDateTimeInput
from notifications.models import PublicCommunication


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


class PublicCommunicationForm(forms.Form):
    text = forms.CharField(label=_("text of the communication"), widget=forms.Textarea(attrs={"rows": 5}))
    medium = forms.ChoiceField(label=_("medium"), choices=PublicCommunication.Medium.choices)
    medium_detail = forms.CharField(label=_("where exactly"), max_length=300, required=False)
    published_on = forms.DateField(label=_("published on"), widget=DateInput(), input_formats=["%Y-%m-%d", "%d/%m/%Y"])


class FanOutConfirmForm(forms.Form):
    """The processor's explicit go before one action emails the DPO of every controller listed."""

    confirm = forms.BooleanField(
        label=_("I confirm: send the processor's notice to the DPO of each controller listed above (Art. 33(2))."),
        required=True,
    )
