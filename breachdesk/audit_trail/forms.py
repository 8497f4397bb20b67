"""Filters of the audit trail: user, organisation, object type, action and period."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from breachdesk.audit_trail.labels import object_type_choices
from breachdesk.audit_trail.selectors import people_in_scope
from breachdesk.forms import DateInput
from breachdesk.models import AuditEvent, User


class AuditFilterForm(forms.Form):
    user = forms.ModelChoiceField(
        queryset=User.objects.none(), required=False, label=_("User"), to_field_name="username"
    )
    organisation = forms.ChoiceField(required=False, label=_("Organisation"))
    object_type = forms.ChoiceField(required=False, label=_("Object"))
    action = forms.ChoiceField(
        choices=[("", _("All actions")), *AuditEvent.Action.choices], required=False, label=_("Action")
    )
    on_or_after = forms.DateField(label=_("From"), required=False, widget=DateInput())
    on_or_before = forms.DateField(label=_("Until"), required=False, widget=DateInput())

    def __init__(self, *args: Any, reader: User, organisations: dict[int, Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        user_field = self.fields["user"]
        assert isinstance(user_field, forms.ModelChoiceField)
        user_field.queryset = people_in_scope(reader).order_by("username")
        user_field.empty_label = str(_("All users"))
        organisation_field = self.fields["organisation"]
        assert isinstance(organisation_field, forms.ChoiceField)
        organisation_field.choices = [
            ("", _("All organisations")),
            *((organisation.code, str(organisation)) for organisation in organisations.values()),
        ]
        object_field = self.fields["object_type"]
        assert isinstance(object_field, forms.ChoiceField)
        object_field.choices = [("", _("All objects")), *object_type_choices()]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("on_or_after"), cleaned.get("on_or_before")
        if start and end and end < start:
            self.add_error("on_or_before", _("The end of the period precedes its start."))
        return cleaned
