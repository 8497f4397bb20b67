"""What the sign-in steps write to the audit trail: codes, ids only, never a password or a code typed."""

from __future__ import annotations

from enum import StrEnum

from django.db import models
from django.utils.translation import gettext_lazy as _


class SignInAudit(models.TextChoices):
    """The audit object type of the sign-in steps."""

    ACCOUNT = "account", _("Account")


class SignInDetail(StrEnum):
    """What happened to the account: the audit entry's detail, a code as the audit trail shows it."""

    LOCKED_OUT = "locked_out"
    MFA_ENROLLED = "mfa_enrolled"
    MFA_RESET = "mfa_reset"
    SESSIONS_ENDED = "sessions_ended"
