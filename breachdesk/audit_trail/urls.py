"""Routes of the audit trail; filters travel as codes, ids and dates only."""

from __future__ import annotations

from django.urls import URLPattern, path

from breachdesk.audit_trail import views

urlpatterns: list[URLPattern] = [
    path("audit/", views.audit_trail, name="audit_trail"),
    path("audit/export.csv", views.audit_trail_csv, name="audit_trail_csv"),
]
