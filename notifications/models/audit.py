"""What the notifications' audit entries are about, as codes (breachdesk.models.AuditObject has the core's)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class NotificationAuditObject(models.TextChoices):
    """What a notifications audit entry is about."""

    CAMPAIGN = "campaign", _("Campaign")
    COMPLIANCE_DASHBOARD = "compliance_dashboard", _("Compliance dashboard")
    COMPLIANCE_DASHBOARD_CSV = "compliance_dashboard_csv", _("Compliance dashboard (CSV)")
    FILING = "filing", _("CNIL filing")
    FILING_JSON = "filing_json", _("CNIL filing (JSON)")
    FILING_PDF = "filing_pdf", _("CNIL filing (PDF dossier)")
    FILINGS = "filings", _("CNIL filings")
    LETTER_PREVIEW = "letter_preview", _("Letter preview")
    MAILROOM = "mailroom", _("Mailroom")
    NOTICE = "notice", _("Notice to a data subject")
    NOTICE_LEDGER = "notice_ledger", _("Notice ledger (CSV)")
    NOTICE_TEXT = "notice_text", _("Text of the letters and emails")
    OBLIGATION_REPORT = "obligation_report", _("Report of an obligation")
    PRINT_BATCH = "print_batch", _("Print batch")
    PUBLIC_COMMUNICATION = "public_communication", _("Public communication")
    PROCESSOR_LETTER = "processor_letter", _("Processor's letter")
    PROCESSOR_NOTICES = "processor_notices", _("Processor notices")
    REGISTER = "register", _("Register")
    REGISTER_CSV = "register_csv", _("Register (CSV)")
    REGISTER_PDF = "register_pdf", _("Register (PDF)")
