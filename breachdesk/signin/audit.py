"""What the sign-in steps write to the audit trail: codes, ids only, never a password or a code typed."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class SignInAudit(models.TextChoices):
    """The audit object type of the sign-in steps."""

    ACCOUNT = "account", _("Account")


class SignInDetail(models.TextChoices):
    """What happened to the account (the audit entry's detail)."""

    LOCKED_OUT = "locked_out", _("Locked out after repeated failed logins")
    MFA_ENROLLED = "mfa_enrolled", _("Second factor set up")
    MFA_RESET = "mfa_reset", _("Second factor reset")
    SESSIONS_ENDED = "sessions_ended", _("Sessions ended (account disabled)")
