"""Back office of the notifications: read-mostly; filings, notices and reminders change only through services."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from notifications.models import DeadlineReminder, Filing, OutboundEmail, ProcessorNotice


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Filing)
class FilingAdmin(ReadOnlyAdmin):
    list_display = [
        "breach_file",
        "version",
        "kind",
        "state",
        "is_complete",
        "is_late",
        "submitted_at",
        "cnil_case_number",
    ]
    list_filter = ["kind", "state", "is_complete", "is_late"]
    search_fields = ["breach_file__incident__reference", "breach_file__controller__code", "cnil_case_number"]
    exclude = ["snapshot"]


@admin.register(ProcessorNotice)
class ProcessorNoticeAdmin(ReadOnlyAdmin):
    list_display = ["breach_file", "email__state", "email__attempts", "informed_at", "email__last_error"]
    list_filter = ["email__state"]
    search_fields = ["incident__reference", "breach_file__controller__code"]


@admin.register(DeadlineReminder)
class DeadlineReminderAdmin(ReadOnlyAdmin):
    list_display = ["breach_file", "kind", "deadline_at", "email__state", "email__sent_at", "email__last_error"]
    list_filter = ["kind", "email__state"]
    search_fields = ["breach_file__incident__reference", "breach_file__controller__code"]


@admin.register(OutboundEmail)
class OutboundEmailAdmin(ReadOnlyAdmin):
    list_display = ["breach_file", "kind", "state", "attempts", "created_at", "sent_at", "last_error"]
    list_filter = ["kind", "state"]
    search_fields = ["breach_file__incident__reference", "breach_file__controller__code"]
