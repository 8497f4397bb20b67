"""What the processor's fan-out to its controllers (Art. 33(2)) would do, controller by controller."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import models

from breachdesk.models import BreachFile, Incident, User
from notifications.models import EmailState, ProcessorNotice
from notifications.services.outbound import requeueable


@dataclass
class FanOutPreview:
    """The controllers a run notifies, tries again, leaves waiting, or finds already informed."""

    to_notify: list[BreachFile] = field(default_factory=list)
    to_retry: list[BreachFile] = field(default_factory=list)
    waiting: list[BreachFile] = field(default_factory=list)
    already_informed: list[BreachFile] = field(default_factory=list)

    @property
    def acting_on(self) -> int:
        return len(self.to_notify) + len(self.to_retry)


def fan_out_preview(*, incident: Incident, user: User) -> FanOutPreview:
    """Sort the controllers the user oversees by what notify_controllers would do to each (one query each way)."""
    breach_files = (
        BreachFile.objects.visible_to(user)
        .filter(incident=incident)
        .select_related("controller")
        .order_by("controller__code")
    )
    notices = {
        breach_file_id: (state, is_requeueable)
        for breach_file_id, state, is_requeueable in ProcessorNotice.objects.filter(breach_file__in=breach_files)
        .annotate(is_requeueable=models.ExpressionWrapper(requeueable("email__"), output_field=models.BooleanField()))
        .values_list("breach_file_id", "email__state", "is_requeueable")
    }
    preview = FanOutPreview()
    for breach_file in breach_files:
        if breach_file.pk not in notices:
            preview.to_notify.append(breach_file)
            continue
        state, is_requeueable = notices[breach_file.pk]
        if state == EmailState.SENT:
            preview.already_informed.append(breach_file)
        elif is_requeueable:
            preview.to_retry.append(breach_file)
        else:
            preview.waiting.append(breach_file)
    return preview
