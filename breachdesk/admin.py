"""The back office: organisations, users, incidents and breach files; personal data stays masked."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from breachdesk.models import (
    AuditEvent,
    BreachFile,
    BreachFileEvent,
    DataSubject,
    Incident,
    Organisation,
    OrganisationGroup,
    SubjectImport,
    User,
)

# The back office carries the product's name, not "Django administration".
admin.site.site_header = "BreachDesk"
admin.site.site_title = _("BreachDesk administration")
admin.site.index_title = _("Organisations, incidents and notifications")


@admin.register(User)
class BreachDeskUserAdmin(UserAdmin):
    list_display = ["username", "email", "role", "organisation", "group", "is_active"]
    list_filter = ["role", "organisation", "group", "is_active"]
    fieldsets = (*UserAdmin.fieldsets, ("BreachDesk", {"fields": ("role", "organisation", "group")}))  # type: ignore[misc]
    add_fieldsets = (*UserAdmin.add_fieldsets, ("BreachDesk", {"fields": ("role", "organisation", "group")}))


@admin.register(OrganisationGroup)
class OrganisationGroupAdmin(admin.ModelAdmin):
    search_fields = ["name"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "group", "siret", "dpo_name"]
    list_filter = ["kind", "group"]
    search_fields = ["code", "name"]


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    list_display = ["reference", "title", "processor", "processor_became_aware_at", "created_at"]
    search_fields = ["reference", "title"]
    fieldsets = [
        (None, {"fields": ["reference", "title", "description", "processor"]}),
        (
            _("The processor's side (Art. 33(2))"),
            {"fields": ["processor_became_aware_at", "processor_account", "processor_measures"]},
        ),
    ]


@admin.register(BreachFile)
class BreachFileAdmin(admin.ModelAdmin):
    list_display = ["__str__", "status", "became_aware_at", "authority_notified_at"]
    list_filter = ["status", "controller", "incident"]
    list_select_related = ["incident", "controller"]


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(DataSubject)
class DataSubjectAdmin(ReadOnlyAdmin):
    """Only ids and flags: the personal data is read on the audited subject pages."""

    list_display = ["__str__", "breach_file", "language", "has_postal_address", "has_email"]
    list_filter = ["language", "has_postal_address", "address_needs_review", "has_email"]
    fields = [
        "breach_file",
        "country",
        "language",
        "processing_context",
        "has_health_data",
        "has_postal_address",
        "address_needs_review",
        "has_email",
    ]
    list_select_related = ["breach_file__incident", "breach_file__controller"]


@admin.register(SubjectImport)
class SubjectImportAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "breach_file", "state", "rows_read", "rows_stored", "created_at"]
    list_filter = ["state"]
    exclude = ["stored_path"]


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "username", "action", "object_type", "object_id", "organisation_id", "detail"]
    list_filter = ["action", "object_type"]
    search_fields = ["username", "object_id"]


@admin.register(BreachFileEvent)
class BreachFileEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "breach_file", "kind", "text", "actor"]
    list_filter = ["kind"]
