"""Forms of the campaign and mailroom pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy

from notifications.models import Channel


class NoticeTextForm(forms.Form):
    language = forms.ChoiceField(choices=[("fr", "Français"), ("en", "English")])
    what_happened = forms.CharField(label=gettext_lazy("What happened"), widget=forms.Textarea, max_length=4000)
    consequences = forms.CharField(label=gettext_lazy("Likely consequences"), widget=forms.Textarea, max_length=4000)
    measures = forms.CharField(label=gettext_lazy("What we did"), widget=forms.Textarea, max_length=4000)
    advice = forms.CharField(
        label=gettext_lazy("What you can do (one piece of advice per line)"), widget=forms.Textarea, max_length=4000
    )


class LaunchForm(forms.Form):
    channels = forms.MultipleChoiceField(
        choices=Channel.choices, widget=forms.CheckboxSelectMultiple, initial=[Channel.POST, Channel.EMAIL]
    )


class PostedForm(forms.Form):
    posted_on = forms.DateField(label=gettext_lazy("Posted on"), widget=forms.DateInput(attrs={"type": "date"}))


class ReturnForm(forms.Form):
    reference = forms.CharField(
        label=gettext_lazy("Letter reference (scan the barcode or type it)"),
        max_length=40,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off"}),
    )
