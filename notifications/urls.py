"""Routes of the notification pages; codes, references and version numbers only, never personal data."""

from __future__ import annotations

from django.urls import include, path

from notifications import views

app_name = "notifications"

FILE = "files/<str:reference>/<str:code>"

urlpatterns = [
    path(f"{FILE}/risk/", views.risk, name="risk"),
    path(f"{FILE}/risk/assess/", views.risk_assess, name="risk_assess"),
    path(f"{FILE}/risk/decide/<str:kind>/", views.decide, name="decide"),
    path(f"{FILE}/filings/", views.filings, name="filings"),
    path(f"{FILE}/filings/<int:version>/", views.filing_detail, name="filing"),
    path(f"{FILE}/filings/<int:version>/dossier.pdf", views.filing_pdf, name="filing_pdf"),
    path(f"{FILE}/filings/<int:version>/teleservice.json", views.filing_json, name="filing_json"),
    path(f"{FILE}/filings/<int:version>/regenerate/", views.filing_regenerate, name="filing_regenerate"),
    path(f"{FILE}/processor-notice.pdf", views.processor_letter, name="processor_letter"),
    path("incidents/<str:reference>/processor-notices/", views.processor_notices, name="processor_notices"),
    path("compliance/", views.compliance_dashboard, name="dashboard"),
    path("compliance/export.csv", views.compliance_export, name="dashboard_csv"),
    path("register/", views.register, name="register"),
    path("register/export.csv", views.register_csv, name="register_csv"),
    path("register/export.pdf", views.register_pdf, name="register_pdf"),
    path("", include("notifications.campaign_urls")),
]
