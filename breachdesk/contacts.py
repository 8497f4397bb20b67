"""Correcting how a data subject is reached: a postal address or an email, audited, re-encrypted, re-indexed."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from breachdesk.importing.address import build_block
from breachdesk.importing.validation import CellError, clean_email
from breachdesk.models import AuditEvent, AuditObject, DataSubject, User
from breachdesk.services import record_audit

CONTACT_FIELDS = ("address_1", "address_2", "address_3", "postcode", "city", "email")
_FRENCH_POSTCODE = re.compile(r"^\d{5}$")


class ContactCorrectionForm(forms.Form):
    """A postal address and an email as the DPO corrects them (the same rules as the import's)."""

    address_1 = forms.CharField(label=_("Number and street"), max_length=200, required=False)
    address_2 = forms.CharField(label=_("Inside the building (flat, floor, c/o)"), max_length=200, required=False)
    address_3 = forms.CharField(label=_("Outside the building (building, residence)"), max_length=200, required=False)
    postcode = forms.CharField(label=_("Postcode"), max_length=10, required=False)
    city = forms.CharField(label=_("Locality"), max_length=100, required=False)
    email = forms.CharField(label=_("Email"), max_length=254, required=False)

    def __init__(self, *args: Any, subject: DataSubject, **kwargs: Any) -> None:
        self.subject = subject
        if "initial" not in kwargs:
            personal = subject.personal
            kwargs["initial"] = {name: getattr(personal, name) for name in CONTACT_FIELDS}
        super().__init__(*args, **kwargs)

    def clean_postcode(self) -> str:
        postcode = " ".join(self.cleaned_data["postcode"].split()).upper()
        if postcode and self.subject.country == "FR":
            postcode = postcode.replace(" ", "")
            if not _FRENCH_POSTCODE.match(postcode) or postcode < "01000":
                raise ValidationError(_("A French postcode has 5 digits."))
        return postcode

    def clean_email(self) -> str:
        value = self.cleaned_data["email"].strip()
        if not value:
            return ""
        try:
            return clean_email(value)
        except CellError as error:
            raise ValidationError(str(error.message)) from None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        values = {name: " ".join(str(data.get(name, "")).split()) for name in CONTACT_FIELDS}
        given = [name for name in ("address_1", "postcode", "city") if values[name]]
        if given and len(given) < 3:
            for name in ("address_1", "postcode", "city"):
                if not values[name]:
                    self.add_error(name, _("A letter needs the street, the postcode and the locality."))
            return data
        if given:
            personal = self.subject.personal
            block = build_block(
                first_name=personal.first_name,
                last_name=personal.last_name,
                address_1=values["address_1"],
                address_2=values["address_2"],
                address_3=values["address_3"],
                postcode=values["postcode"],
                city=values["city"],
                country=self.subject.country,
            )
            for problem in block.problems:
                self.add_error(problem.column if problem.column in self.fields else None, str(problem.message))
            self.address_block = block.lines
        else:
            self.address_block = []
        data.update(values)
        return data


@dataclasses.dataclass(frozen=True)
class Correction:
    """What a correction changed: field names only, never their values."""

    subject: DataSubject
    changed: tuple[str, ...]

    @property
    def changed_address(self) -> bool:
        return any(name != "email" for name in self.changed)

    @property
    def changed_email(self) -> bool:
        return "email" in self.changed


@transaction.atomic
def correct_contact(
    *, subject: DataSubject, user: User | None, values: dict[str, str], address_block: list[str]
) -> Correction:
    """Store a corrected postal address or email: re-encrypted, blind indexes and channels updated, audited.

    The caller checked the values (ContactCorrectionForm). Sending again after a returned letter or a bounced email
    is the notice ledger's step, offered on the subject's page once the channel works again.
    """
    locked = DataSubject.objects.select_for_update().get(pk=subject.pk)
    personal = locked.personal
    changed = tuple(name for name in CONTACT_FIELDS if getattr(personal, name) != values.get(name, ""))
    if not changed:
        return Correction(subject=locked, changed=())
    updates: dict[str, Any] = {name: values.get(name, "") for name in CONTACT_FIELDS}
    if any(name != "email" for name in changed):
        updates["address_block"] = list(address_block)
        # The form built a printable block (or the address was removed): nothing is left to review.
        locked.address_needs_review = False
    locked.personal = dataclasses.replace(personal, **updates)
    locked.contact_corrected_at = timezone.now()
    locked.save(update_fields=[*DataSubject.SET_WITH_PERSONAL, "address_needs_review", "contact_corrected_at"])
    record_audit(
        user=user,
        action=AuditEvent.Action.CHANGE,
        object_type=AuditObject.DATA_SUBJECT,
        object_id=locked.pk,
        organisation_id=locked.breach_file.controller_id,
        # The names of the fields changed, never their old or new values.
        detail="contact corrected: " + ",".join(changed),
    )
    return Correction(subject=locked, changed=changed)
