"""Forms of the campaign and mailroom pages."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from breachdesk.taxonomy import AdolescentAddressee, SensitiveDetail
from notifications.models import Channel

CONDITIONS_HELP = gettext_lazy(
    "One sentence per line. A line that starts with a condition in brackets is printed only to the persons whose "
    "exposed data meet it: [health,genetic] for health or genetic data, [civil_status+nir] for the identity together "
    "with the social security number, [contact] for contact details."
)


class NoticeTextForm(forms.Form):
    language = forms.ChoiceField(choices=[("fr", "Français"), ("en", "English")])
    what_happened = forms.CharField(label=gettext_lazy("What happened"), widget=forms.Textarea, max_length=4000)
    consequences = forms.CharField(
        label=gettext_lazy("Likely consequences"), widget=forms.Textarea, max_length=4000, help_text=CONDITIONS_HELP
    )
    measures = forms.CharField(label=gettext_lazy("What we did"), widget=forms.Textarea, max_length=4000)
    advice = forms.CharField(
        label=gettext_lazy("What you can do (one piece of advice per line)"),
        widget=forms.Textarea,
        max_length=4000,
        help_text=CONDITIONS_HELP,
    )


class LetterChoicesForm(forms.Form):
    adolescent_addressee = forms.ChoiceField(
        label=gettext_lazy("Minors aged 15 to 17 are informed by"),
        choices=[("", gettext_lazy("Not chosen yet")), *AdolescentAddressee.choices],
        required=False,
        help_text=gettext_lazy(
            "Under 15, the legal representatives are always the ones informed; a minor whose care is kept "
            "confidential from the parents is always informed personally."
        ),
    )
    adolescent_addressee_reason = forms.CharField(
        label=gettext_lazy("Why this choice"), widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=2000
    )
    sensitive_detail = forms.ChoiceField(
        label=gettext_lazy("Specific health items (HIV status, pregnancy, conditions...)"),
        choices=SensitiveDetail.choices,
        widget=forms.RadioSelect,
    )


class LaunchForm(forms.Form):
    channels = forms.MultipleChoiceField(
        choices=Channel.choices, widget=forms.CheckboxSelectMultiple, initial=[Channel.POST, Channel.EMAIL]
    )


class LaunchConfirmForm(forms.Form):
    """The typed number of data subjects a launch informs: the DPO reads the figure, the server recounts it."""

    channels = forms.MultipleChoiceField(choices=Channel.choices, widget=forms.MultipleHiddenInput)
    persons = forms.CharField(
        label=gettext_lazy("To confirm, type the number of data subjects this launch informs"),
        max_length=12,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "size": 8}),
    )

    def __init__(self, *args: Any, expected: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.expected = expected

    def clean_persons(self) -> int:
        typed = "".join(character for character in self.cleaned_data["persons"] if character.isdigit())
        if typed != str(self.expected):
            raise forms.ValidationError(
                _("Type %(count)s, the number of data subjects shown above: nothing was launched.")
                % {"count": self.expected},
                code="mismatch",
            )
        return self.expected


class NoticeIdsField(forms.Field):
    """Ids of notices ticked in a list; anything not a number is dropped, the service checks the rest."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[int]:
        return [int(item) for item in value or [] if str(item).isdigit()]


class UnknownDecisionForm(forms.Form):
    """A decision on emails of unknown fate: the ones ticked, or all of them once their number is typed."""

    decision = forms.ChoiceField(choices=[("resend", "resend"), ("accept", "accept")])
    scope = forms.ChoiceField(choices=[("selected", "selected"), ("all", "all")], required=False)
    notice = NoticeIdsField(required=False)
    count = forms.CharField(required=False, max_length=12)

    def __init__(self, *args: Any, expected: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.expected = expected

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("scope") == "all":
            typed = "".join(character for character in data.get("count", "") if character.isdigit())
            if typed != str(self.expected):
                raise forms.ValidationError(
                    _("Type %(count)s, the number of emails of unknown fate: nothing was changed.")
                    % {"count": self.expected},
                    code="mismatch",
                )
        elif not data.get("notice"):
            raise forms.ValidationError(_("Choose the emails and what to do with them."), code="empty")
        return data

    def notice_ids(self) -> list[int] | None:
        """The ids ticked, or None for every email of unknown fate."""
        return None if self.cleaned_data.get("scope") == "all" else list(self.cleaned_data["notice"])


class PostedForm(forms.Form):
    # A date input reads and sends ISO dates, whatever the page's language.
    posted_on = forms.DateField(
        label=gettext_lazy("Posted on"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def cleaned_posted_on(self) -> date | None:
        """The date given, or None when it is missing or not a date."""
        return self.cleaned_data["posted_on"] if self.is_valid() else None


class ReturnForm(forms.Form):
    reference = forms.CharField(
        label=gettext_lazy("Letter reference (scan the barcode or type it)"),
        max_length=40,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off"}),
    )


class PostedConfirmForm(PostedForm):
    confirm = forms.BooleanField(
        label=gettext_lazy("I confirm that every letter of this batch was handed to the post on this date."),
        required=True,
    )
