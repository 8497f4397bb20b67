"""The state of an outgoing email that is not a notice of the ledger (processor notices, reminders)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class EmailState(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENDING = "sending", _("Being sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed before sending")
    # The connection broke after the message may have left: never resent automatically, a person decides.
    UNKNOWN = "unknown", _("Fate unknown: check before resending")
    CANCELLED = "cancelled", _("Not sent: no longer needed")
