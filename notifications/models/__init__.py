"""Who must be told and how: filings, processor notices, reminders and the notice ledger."""

from __future__ import annotations

from notifications.models.audit import NotificationAuditObject
from notifications.models.filings import DeadlineReminder, Filing, FilingQuerySet, ObligationReminder, ProcessorNotice
from notifications.models.information import PublicCommunication
from notifications.models.ledger import (
    TERMINAL_STATES,
    Campaign,
    Channel,
    Notice,
    NoticeEvent,
    NoticeState,
    NoticeText,
    PrintBatch,
    UnreachableSubject,
)
from notifications.models.outbound import EmailState, OutboundEmail, OutboundEmailEvent

__all__ = [
    "TERMINAL_STATES",
    "Campaign",
    "Channel",
    "DeadlineReminder",
    "EmailState",
    "Filing",
    "FilingQuerySet",
    "Notice",
    "NoticeEvent",
    "NoticeState",
    "NoticeText",
    "NotificationAuditObject",
    "ObligationReminder",
    "OutboundEmail",
    "OutboundEmailEvent",
    "PrintBatch",
    "ProcessorNotice",
    "PublicCommunication",
    "UnreachableSubject",
]
